"""What the built-in dashboards read (the widgets: crmgraph.reporting.dashboards): a few grouped
statements per dashboard, whatever the number of deals."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import and_, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from crmgraph.db import models
from crmgraph.db.scoping import Scope, tenant_filter
from crmgraph.domain import bounds
from crmgraph.domain.days import day_start
from crmgraph.reporting.dashboards import SALES, Dashboard, last_months, sales_dashboard
from crmgraph.reporting.performance import Period
from crmgraph.reporting.sales_report_facts import performance


async def dashboard(
    session: AsyncSession, scope: Scope, dashboard_id: str, *, now: datetime
) -> Dashboard | None:
    """The dashboard of that id, or None: only `sales` is built in."""
    if dashboard_id != SALES:
        return None
    return sales_dashboard(
        await performance(session, scope, None, Period.MONTH, now=now),
        await performance(session, scope, None, Period.QUARTER, now=now),
        await revenue_by_month(session, scope, now.date()),
        await open_value_by_stage(session, scope),
    )


async def revenue_by_month(
    session: AsyncSession, scope: Scope, today: date
) -> list[tuple[date, Decimal]]:
    """Value of the WON deals closed in each of the last months, in one statement."""
    d, months = models.Deal, last_months(today)
    closed = d.actual_close_date
    sums = [func.sum(case((and_(closed >= day_start(a), closed < day_start(b)), d.value)))
            for a, b in months]  # fmt: skip
    stmt = select(*sums).where(tenant_filter(d, scope), d.status == "WON")
    row = (await session.execute(stmt)).one()
    return [(first, Decimal(v or 0)) for (first, _), v in zip(months, row, strict=True)]


async def open_value_by_stage(session: AsyncSession, scope: Scope) -> list[tuple[str, Decimal]]:
    """The ACTIVE value in each stage of the tenant's oldest pipeline, stages in order."""
    p, st, d = models.Pipeline, models.PipelineStage, models.Deal
    oldest = (
        select(p.id).where(tenant_filter(p, scope)).order_by(p.created_at, p.id).limit(1)
    ).scalar_subquery()
    active = func.coalesce(func.sum(case((d.status == "ACTIVE", d.value))), 0)
    stmt = (
        select(st.name, active)
        .outerjoin(d, d.stage_id == st.id)
        .where(tenant_filter(st, scope), st.pipeline_id == oldest)
        .group_by(st.id, st.name, st.position)
        .order_by(st.position, st.id)
        .limit(bounds.PIPELINE_STAGES)
    )
    return [(name, Decimal(v)) for name, v in await session.execute(stmt)]
