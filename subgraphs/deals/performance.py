"""Query.performanceMetrics and Query.salesDashboard of the deals subgraph: a salesperson's
figures over the current calendar period (the rules: crmgraph.reporting.performance)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import TypeAlias

import strawberry

from crmgraph.gql.context import Info
from crmgraph.gql.enums import graphql_enum
from crmgraph.gql.ids import parse_id
from crmgraph.reporting import performance as perf
from crmgraph.reporting.sales_report_facts import performance
from subgraphs.deals.types import User

MetricsPeriod: TypeAlias = perf.Period
graphql_enum(
    MetricsPeriod,
    name="MetricsPeriod",
    description="The current UTC calendar week (from Monday), month, quarter or year, up to today.",
)


@strawberry.type(description="A salesperson's deals over a period (README: Sales reports).")
class PerformanceMetrics:
    user: User
    period: MetricsPeriod
    start: date
    end: date
    revenue: float = strawberry.field(description="Value of WON deals closed in the period.")
    deals_won: int
    deals_lost: int
    win_rate: float = strawberry.field(description="WON / (WON + LOST) * 100; 0 without any.")
    average_deal_size: float = strawberry.field(description="revenue / dealsWon; 0 without.")
    open_deals: int = strawberry.field(description="ACTIVE deals the user owns now.")
    open_pipeline_value: float
    weighted_pipeline_value: float = strawberry.field(
        description="Sum of value * probability / 100 over those ACTIVE deals."
    )

    @classmethod
    def of(
        cls, user_id: strawberry.ID, period: perf.Period, p: perf.Performance
    ) -> PerformanceMetrics:
        c, o = p.closed, p.open
        return cls(
            user=User(id=user_id), period=period, start=p.start, end=p.end,
            revenue=float(c.won_value), deals_won=c.won, deals_lost=c.lost,
            win_rate=c.conversion_rate, average_deal_size=float(c.average_deal_size),
            open_deals=o.deals, open_pipeline_value=float(o.value),
            weighted_pipeline_value=float(o.weighted_value),
        )  # fmt: skip


@strawberry.type(description="The API design's unified sales dashboard of a salesperson.")
class SalesDashboard:
    user: User
    this_month: PerformanceMetrics
    this_quarter: PerformanceMetrics
    this_year: PerformanceMetrics


async def resolve_performance(
    info: Info, user_id: strawberry.ID, period: perf.Period
) -> PerformanceMetrics:
    user, now = parse_id(user_id, field="userId"), datetime.now(UTC)
    async with info.context.session() as session:
        found = await performance(session, info.context.scope, user, period, now=now)
    return PerformanceMetrics.of(strawberry.ID(str(user)), period, found)


async def resolve_dashboard(info: Info, user_id: strawberry.ID) -> SalesDashboard:
    user, now = parse_id(user_id, field="userId"), datetime.now(UTC)
    ref = strawberry.ID(str(user))
    async with info.context.session() as session:
        found = [(p, await performance(session, info.context.scope, user, p, now=now))
                 for p in (perf.Period.MONTH, perf.Period.QUARTER, perf.Period.YEAR)]  # fmt: skip
    month, quarter, year = (PerformanceMetrics.of(ref, p, f) for p, f in found)
    return SalesDashboard(user=User(id=ref), this_month=month, this_quarter=quarter,
                          this_year=year)  # fmt: skip
