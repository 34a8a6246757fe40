"""The demo tenant's leads carry the scores the model computes (README "Lead scoring"), and
the qualified one is routed to the best-matching rep (README "Lead routing")."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from crmgraph.config import Settings
from crmgraph.db import models
from crmgraph.db.engine import create_engine
from crmgraph.db.models import Base
from crmgraph.demo import DEMO_TENANT, load_demo
from crmgraph.domain.scoring.explanation import explanation_of


@pytest.fixture
async def demo(tmp_path: Path) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """The demo loaded into a new SQLite database."""
    engine = create_engine(Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'd.db'}"))
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    try:
        assert await load_demo(sessions) is True
        yield sessions
    finally:
        await engine.dispose()


async def test_demo_leads_are_scored_by_the_model(
    demo: async_sessionmaker[AsyncSession],
) -> None:
    async with demo() as session:
        lead, e = models.Lead, models.LeadScoreExplanation
        rows = await session.execute(
            select(lead.last_name, lead.score, e.explanation)
            .join(e, e.lead_id == lead.id)
            .where(lead.tenant_id == DEMO_TENANT)
        )
        found = {name: (score, explanation_of(data)) for name, score, data in rows}

    assert {name: score for name, (score, _) in found.items()} == {
        "Hamilton": 33,
        "Ritchie": 86,
        "Allen": 21,
        "Backus": 2,
    }
    ritchie = found["Ritchie"][1]
    assert [c.score for c in ritchie.scored.components] == [35, 22, 29]
    assert str(ritchie.qualification) == "QUALIFIED"
    assert ritchie.next_action.action == "schedule_demo"


async def test_the_qualified_demo_lead_is_routed_to_the_matching_rep(
    demo: async_sessionmaker[AsyncSession],
) -> None:
    async with demo() as session:
        r, lead, user, task = models.LeadRouting, models.Lead, models.User, models.Task
        rows = await session.execute(
            select(lead.last_name, user.name, r.reason, task.priority)
            .join(r, r.lead_id == lead.id)
            .join(user, user.id == r.rep_id)
            .join(task, (task.id == r.task_id) & (task.assigned_to_id == r.rep_id))
            .where(lead.tenant_id == DEMO_TENANT)
        )
        routed = [tuple(row) for row in rows]
    assert routed == [
        (
            "Ritchie",
            "Grace Hopper",
            "Best match for technology (industry technology); 0 open leads and 0 pending tasks",
            "HIGH",
        )
    ]
