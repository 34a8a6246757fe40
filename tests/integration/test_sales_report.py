"""The sales report's figures, computed by hand, on PostgreSQL and SQLite (its SQL differs by
dialect): totals of the deals closed in the period, top performers, and the stage metrics of
the deals that stayed in each stage during it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from uuid import UUID, uuid4

import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from crmgraph.db import models
from crmgraph.db.scoping import Scope
from crmgraph.domain import deals, pipelines
from crmgraph.reporting.sales_report import Performer, SalesReport, report_request
from crmgraph.reporting.sales_report_facts import sales_report

DAY = timedelta(days=1)
NOW = datetime(2025, 3, 1, tzinfo=UTC)


def jan(day: int) -> datetime:
    return datetime(2025, 1, day, 12, tzinfo=UTC)


@dataclass
class Book:
    pipeline: UUID
    a: UUID
    b: UUID
    c: UUID
    u1: UUID
    u2: UUID


async def put_deal(
    session: AsyncSession, scope: Scope, stage: UUID, value: int, owner: UUID,
    created: datetime, *, status: str = "ACTIVE", closed: datetime | None = None,
    moved: tuple[UUID, datetime] | None = None,
) -> None:  # fmt: skip
    """A deal created in stage at created, optionally moved once, and closed."""
    deal = await deals.create_deal(
        session, scope=scope, data=deals.NewDeal(title="D", value=value, stage_id=stage)
    )
    deal.owner_id, deal.created_at, deal.stage_entered_at = owner, created, created
    change = models.DealStageChange
    await session.execute(
        update(change).where(change.deal_id == deal.id).values(created_at=created)
    )
    if moved is not None:
        to, at = moved
        moves = models.DealStageChange(
            tenant_id=scope.tenant_id,
            deal_id=deal.id,
            from_stage_id=stage,
            to_stage_id=to,
            created_at=at,
        )
        session.add(moves)
        deal.stage_id, deal.stage_entered_at = to, at
    deal.status, deal.actual_close_date = status, closed


@pytest.fixture
async def book(sessions: async_sessionmaker[AsyncSession], tenant: str) -> Book:
    """January 2025: w1 (u1, 1000) 12 days in A from Dec 22, moved to B on the 3rd, won on the
    10th; w2 (u2, 3000) won on the 20th after 15 days in A; l1 (u1, 500) lost on the 4th after
    2 days in A; o1 (u2, 700) open in C since noon of the 25th (34.5 days up to NOW); w3 (u1,
    2000) won in February after 14 days in C: outside the period."""
    scope = Scope(tenant_id=tenant)
    async with sessions() as session, session.begin():
        u1, u2 = (models.User(tenant_id=tenant, email=f"{n}@crm.test", name=n) for n in "XY")
        session.add_all([u1, u2])
        stages = tuple(pipelines.NewStage(name=n, order=i + 1, probability=p)
                       for i, (n, p) in enumerate((("A", 10), ("B", 50), ("C", 90))))  # fmt: skip
        new = pipelines.NewPipeline(name="P", stages=stages)
        _, (a, b, c) = await pipelines.create_pipeline(session, scope=scope, data=new)
        await session.flush()
        await put_deal(session, scope, a.id, 1000, u1.id, jan(3) - 12 * DAY, status="WON",
                       closed=jan(10), moved=(b.id, jan(3)))  # fmt: skip
        await put_deal(session, scope, a.id, 3000, u2.id, jan(5), status="WON", closed=jan(20))
        await put_deal(session, scope, a.id, 500, u1.id, jan(2), status="LOST", closed=jan(4))
        await put_deal(session, scope, c.id, 700, u2.id, jan(25))
        await put_deal(session, scope, c.id, 2000, u1.id, datetime(2025, 2, 1, tzinfo=UTC),
                       status="WON", closed=datetime(2025, 2, 15, tzinfo=UTC))  # fmt: skip
        return Book(a.pipeline_id, a.id, b.id, c.id, u1.id, u2.id)


async def report(
    sessions: async_sessionmaker[AsyncSession], tenant: str, user: UUID | None = None,
    pipelines_asked: list[UUID | None] | None = None, *, names_user: bool = True,
) -> SalesReport:  # fmt: skip
    request = report_request(date(2025, 1, 1), date(2025, 1, 31), user, names_user=names_user,
                             pipeline_ids=pipelines_asked)  # fmt: skip
    async with sessions() as session:
        return await sales_report(session, Scope(tenant_id=tenant), request, now=NOW)


def stage_table(r: SalesReport) -> list[tuple[int, Decimal, int]]:
    (line,) = r.pipelines
    return [(s.figures.deal_count, s.figures.total_value, s.figures.average_days)
            for s in line.stages]  # fmt: skip


async def test_a_months_figures_are_the_hand_computed_ones(
    sessions: async_sessionmaker[AsyncSession], tenant: str, book: Book
) -> None:
    r = await report(sessions, tenant)

    t = r.totals
    assert (t.won_value, t.won, t.lost) == (Decimal(4000), 2, 1)
    assert (t.average_deal_size, t.conversion_rate) == (Decimal("2000.00"), 66.67)
    assert r.top_performers == (Performer(book.u2, Decimal(3000), 1),
                                Performer(book.u1, Decimal(1000), 1))  # fmt: skip
    assert [p.pipeline_id for p in r.pipelines] == [book.pipeline]
    # A: 12, 15 and 2 days -> 29 / 3 = 9.67 -> 9; B: w1's 7 days; C: o1's 34.5 (w3 is later)
    assert stage_table(r) == [(3, Decimal(4500), 9), (1, Decimal(1000), 7), (1, Decimal(700), 34)]


async def test_one_owner_sees_only_their_deals(
    sessions: async_sessionmaker[AsyncSession], tenant: str, book: Book
) -> None:
    r = await report(sessions, tenant, book.u1)

    assert (r.totals.won_value, r.totals.won, r.totals.lost) == (Decimal(1000), 1, 1)
    assert r.totals.conversion_rate == 50.0
    assert r.top_performers == (Performer(book.u1, Decimal(1000), 1),)
    assert stage_table(r) == [(2, Decimal(1500), 7), (1, Decimal(1000), 7), (0, Decimal(0), 0)]


async def test_ids_that_name_nothing_narrow_the_report_to_nothing(
    sessions: async_sessionmaker[AsyncSession], tenant: str, book: Book
) -> None:
    nobody = await report(sessions, tenant, uuid4())
    not_an_id = await report(sessions, tenant, None, names_user=False)
    unknown_pipeline = await report(sessions, tenant, None, [uuid4(), None])
    asked = await report(sessions, tenant, None, [uuid4(), book.pipeline])

    for empty in (nobody, not_an_id):
        assert (empty.totals.won, empty.totals.lost, empty.top_performers) == (0, 0, ())
    assert not_an_id.pipelines == () and unknown_pipeline.pipelines == ()
    assert unknown_pipeline.totals.won == 0
    assert [p.pipeline_id for p in asked.pipelines] == [book.pipeline]
    assert asked.totals.won == 2


async def test_another_tenants_deals_never_count(
    sessions: async_sessionmaker[AsyncSession], tenant: str, book: Book
) -> None:
    r = await report(sessions, f"{tenant}-other")

    assert (r.totals.won, r.totals.lost, r.top_performers, r.pipelines) == (0, 0, (), ())
