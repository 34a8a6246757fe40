"""The demo tenant's leads carry the scores the model computes (README "Lead scoring")."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker

from crmgraph.config import Settings
from crmgraph.db import models
from crmgraph.db.engine import create_engine
from crmgraph.db.models import Base
from crmgraph.demo import DEMO_TENANT, load_demo
from crmgraph.domain.scoring.explanation import explanation_of


async def test_demo_leads_are_scored_by_the_model(tmp_path: Path) -> None:
    engine = create_engine(Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'd.db'}"))
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    try:
        assert await load_demo(sessions) is True
        async with sessions() as session:
            lead, e = models.Lead, models.LeadScoreExplanation
            rows = await session.execute(
                select(lead.last_name, lead.score, e.explanation)
                .join(e, e.lead_id == lead.id)
                .where(lead.tenant_id == DEMO_TENANT)
            )
            found = {name: (score, explanation_of(data)) for name, score, data in rows}
    finally:
        await engine.dispose()

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
