"""The stored stays (deal_stays, kept by crmgraph.db.stay_triggers) equal the definition over
the recorded changes (tests/stays_history.py) after every kind of write, on PostgreSQL and
SQLite: the API's moves, closes, reopens and deletes, a stage reordered or re-weighted, and
plain SQL that inserts, backdates, shifts or deletes history."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from crmgraph.db import models
from crmgraph.db.scoping import Scope, tenant_filter
from crmgraph.domain import deals, pipelines
from tests.stays_history import history_stays

DAY = timedelta(days=1)


async def stored(session: AsyncSession, tenant: str) -> set[tuple[Any, ...]]:
    s = models.DealStay
    cols = (s.id, s.tenant_id, s.deal_id, s.stage_id, s.entered_at, s.left_at, s.later_position)
    return {tuple(r) for r in await session.execute(select(*cols).where(tenant_filter(s, tenant)))}


async def defined(session: AsyncSession, tenant: str) -> set[tuple[Any, ...]]:
    return {tuple(r) for r in await session.execute(select(history_stays(tenant).subquery()))}


async def assert_kept(sessions: async_sessionmaker[AsyncSession], tenant: str) -> int:
    async with sessions() as session:
        table, definition = await stored(session, tenant), await defined(session, tenant)
    assert table == definition
    return len(table)


async def test_stored_stays_follow_every_write(
    sessions: async_sessionmaker[AsyncSession], tenant: str
) -> None:
    scope = Scope(tenant_id=tenant)
    move = deals.move_deal_stage
    async with sessions() as session, session.begin():
        stages = (("Lead", 10), ("Qualified", 30), ("Proposal", 60), ("Won", 100), ("Lost", 0))
        _, rows = await pipelines.create_pipeline(session, scope=scope, data=pipelines.NewPipeline(
            name="P", stages=tuple(pipelines.NewStage(name=n, order=i + 1, probability=p)
                                   for i, (n, p) in enumerate(stages))))  # fmt: skip
        lead, qualified, proposal, won, lost = (s.id for s in rows)

        async def new(title: str) -> models.Deal:
            data = deals.NewDeal(title=title, value=100, stage_id=lead)
            return await deals.create_deal(session, scope=scope, data=data)

        a, b, c = await new("A"), await new("B"), await new("C")
        for stage in (qualified, proposal, won):  # moved twice, then closed as won
            await move(session, scope=scope, deal_id=a.id, stage_id=stage, reason=None)
        for stage in (proposal, lost, qualified):  # closed as lost, then reopened
            await move(session, scope=scope, deal_id=b.id, stage_id=stage, reason=None)
        await move(session, scope=scope, deal_id=c.id, stage_id=qualified, reason=None)
    assert await assert_kept(sessions, tenant) == 7  # A: 3, B: 3, C: 1

    async with sessions() as session, session.begin():
        await deals.delete_deal(session, scope=scope, deal_id=c.id)
    assert await assert_kept(sessions, tenant) == 6

    # Stage order and probability: how far a deal went after a stay is measured in them.
    async with sessions() as session, session.begin():
        await pipelines.update_pipeline_stage(session, scope=scope, pipeline_id=rows[0].pipeline_id,
            stage_id=qualified, changes=pipelines.StageChanges(order=9))  # fmt: skip
        await pipelines.update_pipeline_stage(session, scope=scope, pipeline_id=rows[0].pipeline_id,
            stage_id=proposal, changes=pipelines.StageChanges(probability=0))  # fmt: skip
    await assert_kept(sessions, tenant)

    # Plain SQL: a history written without the API (a deal created in Qualified whose first
    # recorded change leaves it: a stay from its creation), the deal backdated, every change
    # shifted, one change deleted.
    c_, d_ = models.DealStageChange, models.Deal
    async with sessions() as session, session.begin():
        imported = await new("Imported")
        await session.execute(delete(c_).where(c_.deal_id == imported.id))
        session.add(models.DealStageChange(tenant_id=tenant, deal_id=imported.id,
            from_stage_id=qualified, to_stage_id=proposal))  # fmt: skip
    assert await assert_kept(sessions, tenant) == 7
    async with sessions() as session, session.begin():
        backdated = await session.get_one(d_, imported.id)
        backdated.created_at -= 3 * DAY
    await assert_kept(sessions, tenant)
    async with sessions() as session, session.begin():
        for change in await session.scalars(select(c_).where(tenant_filter(c_, tenant))):
            change.created_at -= DAY
    await assert_kept(sessions, tenant)
    async with sessions() as session, session.begin():
        first_move = select(c_.id).where(c_.deal_id == a.id, c_.to_stage_id == qualified)
        await session.execute(delete(c_).where(c_.id == first_move.scalar_subquery()))
    assert await assert_kept(sessions, tenant) == 6
