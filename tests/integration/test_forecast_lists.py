"""The deals behind a forecast's numbers, every list in one statement, on PostgreSQL and
SQLite (the embedded mode): largest value first with ties by id, each list's own span,
category and size, closed-won deals on their close date, lost ones never."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from crmgraph.db.scoping import Scope
from crmgraph.domain import deals, pipelines
from crmgraph.reporting.forecast import Category
from crmgraph.reporting.forecast_facts import DealList, forecast_deal_lists


def day(month: int, d: int) -> datetime:
    return datetime(2026, month, d, 12, tzinfo=UTC)


async def test_every_list_is_read_at_once_with_its_own_span_category_and_size(
    sessions: async_sessionmaker[AsyncSession], tenant: str
) -> None:
    scope = Scope(tenant_id=tenant)
    made: dict[str, UUID] = {}
    async with sessions() as session, session.begin():
        stages = (pipelines.NewStage(name="A", order=1, probability=10),)
        new = pipelines.NewPipeline(name="P", stages=stages)
        pipeline, (stage,) = await pipelines.create_pipeline(session, scope=scope, data=new)
        rows = {  # name: (value, probability, expected close, status, closed)
            "commit90": (100, 90, day(1, 10), "ACTIVE", None),
            "low300": (300, 10, day(1, 15), "ACTIVE", None),
            "commit300": (300, 80, day(1, 20), "ACTIVE", None),
            "won": (1000, 100, day(3, 30), "WON", day(1, 5)),
            "lost": (5000, 50, day(1, 7), "LOST", day(1, 7)),
            "march": (50, 30, day(3, 3), "ACTIVE", None),
        }
        for name, (value, probability, expected, status, closed) in rows.items():
            data = deals.NewDeal(title=name, value=value, stage_id=stage.id,
                                 probability=probability, expected_close_date=expected)  # fmt: skip
            deal = await deals.create_deal(session, scope=scope, data=data)
            deal.status, deal.actual_close_date = status, closed
            made[name] = deal.id
    tied = sorted([made["low300"], made["commit300"]], key=str)
    wanted = [
        DealList(pipeline.id, day(1, 1), day(2, 1), None, 2),
        DealList(pipeline.id, day(1, 1), day(2, 1), Category.COMMIT, 5),
        DealList(pipeline.id, day(1, 1), day(4, 1), None, 1),
        DealList(pipeline.id, day(2, 1), day(3, 1), None, 5),
        DealList(pipeline.id, day(1, 1), day(4, 1), Category.BEST_CASE, 5),
    ]

    async with sessions() as session:
        found = await forecast_deal_lists(session, scope, wanted)

    assert [[d.id for d in one] for one in found] == [
        [made["won"], tied[0]],
        [made["commit300"], made["commit90"]],
        [made["won"]],
        [],
        [made["march"]],
    ]
    async with sessions() as session:
        (one,) = await forecast_deal_lists(session, scope, wanted[1:2])
    assert [d.id for d in one] == [made["commit300"], made["commit90"]]
