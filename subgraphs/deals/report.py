"""Query.salesReport of the deals subgraph: the API design's SalesPerformanceReport, its
filter and answer types (the rules: crmgraph.reporting.sales_report)."""

from __future__ import annotations

from datetime import date

import strawberry

from crmgraph.gql.context import Info
from crmgraph.gql.ids import uuid_or_none
from crmgraph.reporting.sales_report import (
    Performer,
    PipelineLine,
    StageLine,
    report_request,
)
from crmgraph.reporting.sales_report import (
    SalesReport as Report,
)
from crmgraph.reporting.sales_report_facts import sales_report
from subgraphs.deals.types import Pipeline, PipelineStage, User


@strawberry.input(description="Whole UTC days, both included.")
class ReportPeriod:
    start: date
    end: date


@strawberry.input(description="What a sales report covers (README: Sales reports).")
class SalesReportFilter:
    period: ReportPeriod
    user_id: strawberry.ID | None = strawberry.field(
        default=None, description="Only this owner's deals; an id naming no user gives zeros."
    )
    pipeline_ids: list[strawberry.ID] | None = strawberry.field(
        default=None,
        description="Only these pipelines (at most 20), in this order; unknown ones are left "
        "out. Without: the tenant's pipelines, oldest first.",
    )


@strawberry.type(description="An owner's WON deals closed in the period.")
class TopPerformer:
    user: User
    revenue: float
    deals_won: int

    @classmethod
    def of(cls, p: Performer) -> TopPerformer:
        return cls(user=User(id=strawberry.ID(str(p.user_id))), revenue=float(p.revenue),
                   deals_won=p.deals_won)  # fmt: skip


@strawberry.type(description="The deals of the filter that were in the stage during the period.")
class StageMetric:
    stage: PipelineStage
    deal_count: int
    total_value: float
    average_time_in_stage: int = strawberry.field(
        description="Average whole days (rounded down) of those deals' stays in the stage; 0 "
        "without any."
    )

    @classmethod
    def of(cls, line: StageLine) -> StageMetric:
        f = line.figures
        return cls(stage=PipelineStage(id=strawberry.ID(str(line.stage_id))),
                   deal_count=f.deal_count, total_value=float(f.total_value),
                   average_time_in_stage=f.average_days)  # fmt: skip


@strawberry.type(description="A pipeline's stages, in order, for the report's deals.")
class PipelineBreakdown:
    pipeline: Pipeline
    stage_metrics: list[StageMetric]

    @classmethod
    def of(cls, line: PipelineLine) -> PipelineBreakdown:
        return cls(pipeline=Pipeline(id=strawberry.ID(str(line.pipeline_id))),
                   stage_metrics=[StageMetric.of(s) for s in line.stages])  # fmt: skip


@strawberry.type(description="Sales over a period (README: Sales reports).")
class SalesReport:
    total_revenue: float = strawberry.field(description="Value of WON deals closed in it.")
    deals_closed: int = strawberry.field(description="WON deals closed in the period.")
    deals_lost: int = strawberry.field(description="LOST deals closed in the period.")
    average_deal_size: float = strawberry.field(description="totalRevenue / dealsClosed; 0.")
    conversion_rate: float = strawberry.field(
        description="WON / (WON + LOST) * 100 of the deals closed in the period; 0 without any."
    )
    top_performers: list[TopPerformer] = strawberry.field(
        description="At most 10 owners, most revenue first, then most deals won."
    )
    pipeline_breakdown: list[PipelineBreakdown]

    @classmethod
    def of(cls, r: Report) -> SalesReport:
        t = r.totals
        return cls(
            total_revenue=float(t.won_value),
            deals_closed=t.won,
            deals_lost=t.lost,
            average_deal_size=float(t.average_deal_size),
            conversion_rate=t.conversion_rate,
            top_performers=[TopPerformer.of(p) for p in r.top_performers],
            pipeline_breakdown=[PipelineBreakdown.of(p) for p in r.pipelines],
        )


async def resolve_sales_report(info: Info, filter: SalesReportFilter) -> SalesReport:
    user_id = None if filter.user_id is None else uuid_or_none(filter.user_id)
    request = report_request(
        filter.period.start,
        filter.period.end,
        user_id,
        names_user=filter.user_id is None or user_id is not None,
        pipeline_ids=None
        if filter.pipeline_ids is None
        else [uuid_or_none(i) for i in filter.pipeline_ids],
    )
    async with info.context.session() as session:
        report = await sales_report(session, info.context.scope, request)
    return SalesReport.of(report)
