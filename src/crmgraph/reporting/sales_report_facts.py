"""What the sales report reads from the database (the rules are crmgraph.reporting.sales_report):
a handful of grouped statements per report, whatever the number of deals or stages."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, Select, and_, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from crmgraph.db import models
from crmgraph.db.scoping import Scope, get_scoped, tenant_filter
from crmgraph.db.sql_time import seconds_between
from crmgraph.db.stage_stays import stage_stays
from crmgraph.domain import bounds
from crmgraph.reporting.performance import OpenPipeline, Performance, Period, period_days
from crmgraph.reporting.sales_report import (
    Performer,
    ReportRequest,
    SalesReport,
    StageFigures,
    Totals,
    breakdown,
    money,
    ranked,
    report_request,
)


async def sales_report(
    session: AsyncSession, scope: Scope, request: ReportRequest, *, now: datetime | None = None
) -> SalesReport:
    if not request.names_user:
        return SalesReport(Totals(), (), ())
    deals = _deals_of(scope, request)
    pipelines = await _pipelines(session, scope, request)
    stages_of = await _stages(session, scope, pipelines)
    all_stages = [s for p in pipelines for s in stages_of[p]]
    return SalesReport(
        totals=await _totals(session, request, deals),
        top_performers=await _performers(session, request, deals),
        pipelines=breakdown(
            pipelines,
            stages_of,
            await _stage_figures(session, scope, request, deals, all_stages, now),
        ),
    )


async def performance(
    session: AsyncSession, scope: Scope, user_id: UUID | None, period: Period, *, now: datetime
) -> Performance:
    """The user's (None: the tenant's) deals closed in the period so far, and the open
    pipeline now; NOT_FOUND on userId for a user the tenant does not have."""
    if user_id is not None:
        await get_scoped(session, models.User, user_id, scope=scope, field="userId", lock=False)
    start, end = period_days(period, now.date())
    request = report_request(start, end, user_id)
    d = models.Deal
    weighted = func.sum(d.value * d.probability / 100)
    mine = () if user_id is None else (d.owner_id == user_id,)
    stmt = select(func.count(), func.sum(d.value), weighted).where(
        tenant_filter(d, scope), *mine, d.status == "ACTIVE"
    )
    count, value, weighted_value = (await session.execute(stmt)).one()
    open_ = OpenPipeline(int(count or 0), Decimal(value or 0), money(Decimal(weighted_value or 0)))
    closed = await _totals(session, request, _deals_of(scope, request))
    return Performance(start, end, closed, open_)


def _deals_of(scope: Scope, r: ReportRequest) -> list[ColumnElement[bool]]:
    d = models.Deal
    where = [tenant_filter(d, scope)]
    if r.user_id is not None:
        where.append(d.owner_id == r.user_id)
    if r.pipeline_ids is not None:
        where.append(d.pipeline_id.in_(r.pipeline_ids))
    return where


def _closed_in(r: ReportRequest) -> ColumnElement[bool]:
    d = models.Deal
    return and_(d.actual_close_date >= r.starts_at, d.actual_close_date <= r.ends_at)


async def _totals(
    session: AsyncSession, r: ReportRequest, deals: list[ColumnElement[bool]]
) -> Totals:
    d = models.Deal
    won, lost = d.status == "WON", d.status == "LOST"
    figures = (func.sum(case((won, d.value))), func.count(case((won, d.id))),
               func.count(case((lost, d.id))))  # fmt: skip
    stmt = select(*figures).where(*deals, _closed_in(r))
    value, won_count, lost_count = (await session.execute(stmt)).one()
    return Totals(Decimal(value or 0), int(won_count or 0), int(lost_count or 0))


async def _performers(
    session: AsyncSession, r: ReportRequest, deals: list[ColumnElement[bool]]
) -> tuple[Performer, ...]:
    d = models.Deal
    revenue = func.sum(d.value)
    stmt = (
        select(d.owner_id, revenue, func.count())
        .where(*deals, _closed_in(r), d.status == "WON", d.owner_id.is_not(None))
        .group_by(d.owner_id)
    )
    rows = await session.execute(stmt)
    return ranked([Performer(u, Decimal(total), int(n)) for u, total, n in rows if u is not None])


async def _pipelines(session: AsyncSession, scope: Scope, r: ReportRequest) -> list[UUID]:
    """The pipelines asked for, in the order asked (unknown ones left out), or the tenant's
    pipelines oldest first."""
    p = models.Pipeline
    stmt: Select[Any] = select(p.id).where(tenant_filter(p, scope))
    if r.pipeline_ids is None:
        stmt = stmt.order_by(p.created_at, p.id).limit(bounds.REPORT_PIPELINES)
        return list((await session.scalars(stmt)).all())
    found = set((await session.scalars(stmt.where(p.id.in_(r.pipeline_ids)))).all())
    return [i for i in r.pipeline_ids if i in found]


async def _stages(
    session: AsyncSession, scope: Scope, pipelines: list[UUID]
) -> dict[UUID, list[UUID]]:
    st = models.PipelineStage
    stages_of: dict[UUID, list[UUID]] = {p: [] for p in pipelines}
    if not pipelines:
        return stages_of
    stmt = (
        select(st.pipeline_id, st.id)
        .where(tenant_filter(st, scope), st.pipeline_id.in_(pipelines))
        .order_by(st.pipeline_id, st.position, st.id)
    )
    for pipeline_id, stage_id in await session.execute(stmt):
        if len(stages_of[pipeline_id]) < bounds.PIPELINE_STAGES:
            stages_of[pipeline_id].append(stage_id)
    return stages_of


async def _stage_figures(
    session: AsyncSession,
    scope: Scope,
    r: ReportRequest,
    deals: list[ColumnElement[bool]],
    stage_ids: list[UUID],
    now: datetime | None,
) -> dict[UUID, StageFigures]:
    """Per stage: the deals of the filter with a stay overlapping the period, their total
    value and the average length of those stays."""
    if not stage_ids:
        return {}
    d = models.Deal
    deal_ids = select(d.id).where(*deals)
    stays = stage_stays(
        scope, now or datetime.now(UTC), stage_ids=stage_ids, deal_ids=deal_ids
    ).subquery()
    s = stays.c
    overlap = and_(s.entered_at <= r.ends_at, s.left_at >= r.starts_at)
    seconds = (
        select(s.stage_id, func.avg(seconds_between(s.entered_at, s.left_at)))
        .where(overlap)
        .group_by(s.stage_id)
    )
    # The value joined before DISTINCT: the planner cannot estimate how many pairs a DISTINCT
    # over stays leaves and, joining after it, looked each deal up by its key (61,596 times
    # for bench00, 0.8 s); before it, one hash join over the tenant's deals.
    pairs = (
        select(s.stage_id, s.deal_id, d.value)
        .join(d, d.id == s.deal_id)
        .where(overlap)
        .distinct()
        .subquery()
    )
    values = select(pairs.c.stage_id, func.count(), func.sum(pairs.c.value)).group_by(
        pairs.c.stage_id
    )
    averages = {stage: avg for stage, avg in await session.execute(seconds)}
    return {
        stage: StageFigures(
            int(n),
            Decimal(total or 0),
            None if averages.get(stage) is None else float(averages[stage]),
        )
        for stage, n, total in await session.execute(values)
    }
