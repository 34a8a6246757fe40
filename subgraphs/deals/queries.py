"""Query fields of the deals subgraph."""

from __future__ import annotations

import strawberry

from crmgraph.db import models
from crmgraph.gql.connections import Connection, PaginationInput, page_args
from crmgraph.gql.context import Info
from crmgraph.gql.filters import sort_of
from crmgraph.gql.ids import parse_id
from crmgraph.gql.lists import root_connection
from subgraphs.deals.dashboard import DashboardData, resolve_dashboard_data
from subgraphs.deals.inputs import DealFilter, DealSort, DealSortField, deal_filter
from subgraphs.deals.performance import (
    MetricsPeriod,
    PerformanceMetrics,
    SalesDashboard,
    resolve_dashboard,
    resolve_performance,
)
from subgraphs.deals.report import SalesReport, SalesReportFilter, resolve_sales_report
from subgraphs.deals.types import Deal, prefetch_cards
from subgraphs.deals.types.forecast import ForecastData, ForecastPeriod, deal_forecast

SORT_COLUMNS = {f.value: f.value for f in DealSortField}


@strawberry.type
class Query:
    @strawberry.field(description="One deal by id.")
    async def deal(self, info: Info, id: strawberry.ID) -> Deal | None:
        return await Deal.resolve_reference(info, id)

    @strawberry.field(
        description="Deals matching filter, oldest first unless sorted.",
    )
    async def deals(
        self,
        info: Info,
        filter: DealFilter | None = None,
        sort: DealSort | None = None,
        pagination: PaginationInput | None = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[Deal]:
        args = page_args(first, after, last, before, pagination)
        order = sort_of(sort.field if sort else None, sort.direction if sort else None,
                        SORT_COLUMNS)  # fmt: skip
        return await root_connection(
            info.context, models.Deal, Deal.from_row, args, deal_filter(filter), order,
            prefetch=lambda rows: prefetch_cards(info, rows),
        )  # fmt: skip

    @strawberry.field(
        description="Revenue, win rate, top performers and stage metrics of a period "
        "(README: Sales reports). Needs reports:sales (sales managers, tenant admins)."
    )
    async def sales_report(self, info: Info, filter: SalesReportFilter) -> SalesReport:
        return await resolve_sales_report(info, filter)

    @strawberry.field(
        description="A salesperson's deals over the current calendar period (README: Sales "
        "reports). A sales rep may ask about themselves; managers about anyone."
    )
    async def performance_metrics(
        self,
        info: Info,
        user_id: strawberry.ID,
        period: MetricsPeriod,
    ) -> PerformanceMetrics:
        return await resolve_performance(info, user_id, period)

    @strawberry.field(
        description="A salesperson's month, quarter and year so far (the API design's unified "
        "dashboard). A sales rep may ask about themselves; managers about anyone."
    )
    async def sales_dashboard(self, info: Info, user_id: strawberry.ID) -> SalesDashboard:
        return await resolve_dashboard(info, user_id)

    @strawberry.field(
        description="A dashboard's widgets; null for an id naming none. Built in: `sales`, the "
        "tenant's sales at a glance (README: Sales reports)."
    )
    async def dashboard_data(self, info: Info, dashboard_id: strawberry.ID) -> DashboardData | None:
        return await resolve_dashboard_data(info, dashboard_id)

    @strawberry.field(
        description="The pipeline's deals per month or quarter of `year` (this year, UTC, "
        "unless given) by expected close date (won deals by close date): weighted and "
        "unweighted, by COMMIT/BEST_CASE/CLOSED category, with the deals behind each number; "
        "null for an unknown pipeline. README: Deal forecast."
    )
    async def deal_forecast(
        self,
        info: Info,
        pipeline_id: strawberry.ID,
        period: ForecastPeriod,
        year: int | None = None,
    ) -> ForecastData | None:
        return await deal_forecast(info, parse_id(pipeline_id, field="pipelineId"), period, year)
