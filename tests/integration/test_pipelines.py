"""Pipeline metric loaders and stage rules on PostgreSQL and SQLite (SQL differs by dialect)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from crmgraph.db import models
from crmgraph.db.scoping import Scope
from crmgraph.domain import deals, pipelines
from crmgraph.errors import DomainError
from subgraphs.loaders import Loaders
from subgraphs.pipelines.loaders import PipelineMetrics, StageMetrics

HOUR = timedelta(hours=1)
T0 = datetime(2025, 1, 1, tzinfo=UTC)


@pytest.fixture
def scope(tenant: str) -> Scope:
    return Scope(tenant_id=tenant)


async def make_pipeline(
    session: AsyncSession, scope: Scope, *probabilities: int
) -> list[models.PipelineStage]:
    stages = tuple(
        pipelines.NewStage(name=f"S{i}", order=i + 1, probability=p)
        for i, p in enumerate(probabilities)
    )
    _, rows = await pipelines.create_pipeline(
        session, scope=scope, data=pipelines.NewPipeline(name="P", stages=stages)
    )
    return rows


async def test_metrics_of_closed_deals_are_exact(
    sessions: async_sessionmaker[AsyncSession], scope: Scope
) -> None:
    async with sessions() as session, session.begin():
        a, b = await make_pipeline(session, scope, 10, 50)
        won = await deals.create_deal(
            session, scope=scope, data=deals.NewDeal(title="W", value=300, stage_id=a.id)
        )
        lost = await deals.create_deal(
            session, scope=scope, data=deals.NewDeal(title="L", value=200, stage_id=a.id)
        )
        open_ = await deals.create_deal(
            session, scope=scope, data=deals.NewDeal(title="O", value=50.5, stage_id=b.id)
        )
        # won: created T0 in a, moved to b after 30h, closed 18h later; lost: 6h in a.
        won.status, won.stage_id, won.created_at = "WON", b.id, T0
        won.stage_entered_at, won.actual_close_date = T0 + 30 * HOUR, T0 + 48 * HOUR
        lost.status, lost.stage_entered_at, lost.actual_close_date = "LOST", T0, T0 + 6 * HOUR
        change = models.DealStageChange
        await session.execute(
            update(change).where(change.deal_id == won.id).values(created_at=T0)
        )  # the recorded creation, backdated with the deal
        session.add(
            models.DealStageChange(
                tenant_id=scope.tenant_id,
                deal_id=won.id,
                from_stage_id=a.id,
                to_stage_id=b.id,
                created_at=T0 + 30 * HOUR,
            )
        )
        pipeline_id = a.pipeline_id
    # open_ sits in b from now on: its current stay is about 0 seconds.
    loaders = Loaders(sessions, scope, 100)

    assert await loaders.pipeline_metrics.load(pipeline_id) == PipelineMetrics(
        active_value=open_.value, active_count=1, won=1, lost=1, sales_cycle_seconds=48 * 3600.0
    )
    assert await loaders.stage_metrics.load_many([a.id, b.id]) == [
        StageMetrics(0, 0 * open_.value),
        StageMetrics(1, open_.value),
    ]
    a_avg, b_avg = await loaders.stage_time_seconds.load_many([a.id, b.id])
    # a: 30h (won, recorded), 6h (lost, current stay up to its close); b: 18h (won), ~0 (open_)
    assert a_avg == pytest.approx(18 * 3600, abs=1)
    assert b_avg is not None and b_avg == pytest.approx(9 * 3600, abs=60)


async def test_stage_with_stage_history_cannot_be_removed(
    sessions: async_sessionmaker[AsyncSession], scope: Scope
) -> None:
    async with sessions() as session, session.begin():
        a, b, c = await make_pipeline(session, scope, 10, 50, 90)
        deal = await deals.create_deal(
            session, scope=scope, data=deals.NewDeal(title="D", value=1, stage_id=a.id)
        )
        session.add(
            models.DealStageChange(
                tenant_id=scope.tenant_id, deal_id=deal.id, from_stage_id=a.id, to_stage_id=b.id
            )
        )
        deal.stage_id = b.id

    for stage in (a, b):
        with pytest.raises(DomainError) as raised:
            async with sessions() as session, session.begin():
                await pipelines.remove_pipeline_stage(
                    session, scope=scope, pipeline_id=a.pipeline_id, stage_id=stage.id
                )
        assert (raised.value.code, raised.value.field) == ("CONFLICT", "stageId")
    async with sessions() as session, session.begin():
        await pipelines.remove_pipeline_stage(
            session, scope=scope, pipeline_id=a.pipeline_id, stage_id=c.id
        )
    assert [s.name for s in await Loaders(sessions, scope, 100).stages_by_pipeline.load(
        a.pipeline_id
    )] == ["S0", "S1"]  # fmt: skip


async def test_last_stage_cannot_be_removed(
    sessions: async_sessionmaker[AsyncSession], scope: Scope
) -> None:
    async with sessions() as session, session.begin():
        (only,) = await make_pipeline(session, scope, 10)

    with pytest.raises(DomainError) as raised:
        async with sessions() as session, session.begin():
            await pipelines.remove_pipeline_stage(
                session, scope=scope, pipeline_id=only.pipeline_id, stage_id=only.id
            )

    assert (raised.value.code, raised.value.field) == ("VALIDATION_ERROR", "stageId")


async def test_one_stage_move_is_stamped_with_one_instant(
    sessions: async_sessionmaker[AsyncSession], scope: Scope
) -> None:
    """Creating a deal in a closed stage, or moving one there: the change row, the deal's
    stage_entered_at and its close date are the same instant, so the stay they bound is 0,
    not a few milliseconds below it (README: a stay, Sales forecasts and pipeline analytics)."""
    async with sessions() as session, session.begin():
        lead, won = await make_pipeline(session, scope, 10, 100)
        new = [deals.NewDeal(title=t, value=1, pipeline_id=lead.pipeline_id, stage_id=s.id)
               for t, s in (("closed", won), ("moved", lead))]  # fmt: skip
        closed = await deals.create_deal(session, scope=scope, data=new[0])
        moved = await deals.create_deal(session, scope=scope, data=new[1])
        move = await deals.move_deal_stage(
            session, scope=scope, deal_id=moved.id, stage_id=won.id, reason=None
        )
        await session.flush()
        created = await session.scalar(
            select(models.DealStageChange.created_at).where(
                models.DealStageChange.deal_id == closed.id
            )
        )
    assert created == closed.stage_entered_at == closed.actual_close_date
    assert move.change.created_at == moved.stage_entered_at == moved.actual_close_date
