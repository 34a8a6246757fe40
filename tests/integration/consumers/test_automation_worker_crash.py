"""A `crmgraph worker` SIGKILLed in the middle of a stage automation rule: it has claimed the
deal.stage_changed event, recorded the run and made the rule's task, and is assigning the
deal (blocked on the deal's row, which this test holds locked), so nothing of the batch is
committed. Another worker then runs the rule once: one run, one task, the deal assigned,
nothing pending."""

from __future__ import annotations

import signal
import uuid
from decimal import Decimal
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from crmgraph.config import Settings
from crmgraph.db import models
from crmgraph.db.scoping import Scope, scoped
from crmgraph.domain import deals, pipelines
from crmgraph.domain.automation_rules import AutomationRule, RuleAction
from crmgraph.events.consumers.automation import AutomationConsumer
from tests.factories import make_pipeline, make_user
from tests.integration.consumers.support import (
    deliveries_of,
    new_tenant,
    start_worker,
    stop_worker,
    wait_for_row,
)

# The killed worker's assign_user waits for the deal's lock, inside its batch.
ASSIGNING_BLOCKED = """SELECT count(*) = 1 FROM pg_stat_activity
    WHERE datname = current_database() AND wait_event_type = 'Lock'
    AND query LIKE 'SELECT deals%FOR UPDATE%'"""


async def moved_deal(
    sessions: async_sessionmaker[AsyncSession], scope: Scope
) -> tuple[uuid.UUID, uuid.UUID]:
    """A deal moved into a stage whose rule makes a task, then assigns the deal."""
    async with sessions() as session, session.begin():
        _, stages = await make_pipeline(session, scope)
        user = await make_user(session, scope)
        proposal = stages["Proposal"]
        rule = AutomationRule(trigger="stage_entered", actions=(
            RuleAction(type="create_task", parameters={"title": "Review", "dueInDays": 1}),
            RuleAction(type="assign_user", parameters={"userId": str(user.id)}),
        ))  # fmt: skip
        await pipelines.update_pipeline_stage(
            session, scope=scope, pipeline_id=proposal.pipeline_id, stage_id=proposal.id,
            changes=pipelines.StageChanges(automation_rules=(rule,)),
        )  # fmt: skip
        deal = await deals.create_deal(
            session, scope=scope, data=deals.NewDeal(title="Big", value=Decimal(20000))
        )
        await deals.move_deal_stage(session, scope=scope, deal_id=deal.id,
                                    stage_id=proposal.id, reason=None)  # fmt: skip
    return deal.id, user.id


async def counts(sessions: async_sessionmaker[AsyncSession], scope: Scope) -> dict[str, int]:
    found = {}
    async with sessions() as session:
        for model in (models.AutomationRun, models.Task):
            stmt = scoped(select(func.count()).select_from(model), model, scope)
            found[model.__name__] = int(await session.scalar(stmt) or 0)
    return found


async def test_worker_killed_mid_rule_runs_it_once_afterwards(
    sessions: async_sessionmaker[AsyncSession], outbox_settings: Settings, tmp_path: Path
) -> None:
    scope = Scope(tenant_id=new_tenant())
    deal_id, user_id = await moved_deal(sessions, scope)

    async with sessions() as holder, holder.begin():
        await holder.get(models.Deal, deal_id, with_for_update=True)
        doomed = await start_worker(outbox_settings, tmp_path / "doomed.log")
        try:
            await wait_for_row(sessions, ASSIGNING_BLOCKED)
        finally:
            doomed.send_signal(signal.SIGKILL)
            assert await doomed.wait() == -signal.SIGKILL

    assert await counts(sessions, scope) == {"AutomationRun": 0, "Task": 0}
    waiting = await deliveries_of(sessions, scope.tenant_id, AutomationConsumer.name)
    assert [d.state for d in waiting] == ["pending", "pending"]  # created, moved

    restarted = await start_worker(outbox_settings, tmp_path / "restarted.log")
    try:
        await wait_for_row(
            sessions,
            f"SELECT count(*) = 1 FROM automation_runs WHERE deal_id = '{deal_id}' "
            "AND outcome = 'SUCCEEDED'",
        )
        await wait_for_row(
            sessions,
            "SELECT count(*) = 0 FROM outbox_deliveries d JOIN outbox_events e "
            f"ON e.id = d.outbox_id WHERE e.tenant_id = '{scope.tenant_id}' "
            f"AND d.consumer = '{AutomationConsumer.name}'",
        )
    finally:
        assert await stop_worker(restarted) == 0

    assert await counts(sessions, scope) == {"AutomationRun": 1, "Task": 1}
    async with sessions() as session:
        deal = await session.get(models.Deal, deal_id)
        assert deal is not None and deal.owner_id == user_id
