"""Query fields of the pipelines subgraph."""

from __future__ import annotations

import strawberry

from crmgraph.db import models
from crmgraph.domain import bounds
from crmgraph.gql.connections import Connection, PaginationInput, page_args
from crmgraph.gql.context import Info
from crmgraph.gql.ids import parse_id, parse_optional_id
from crmgraph.gql.lists import root_list
from subgraphs.pipelines.analytics import (
    AnalyticsPeriod,
    PipelineAnalytics,
    PipelineReport,
    pipeline_analytics,
)
from subgraphs.pipelines.runs import AutomationOutcome, AutomationRun, runs
from subgraphs.pipelines.types import Pipeline


@strawberry.type
class Query:
    @strawberry.field(description="One pipeline by id.")
    async def pipeline(self, info: Info, id: strawberry.ID) -> Pipeline | None:
        return await Pipeline.resolve_reference(info, id)

    @strawberry.field(
        description="The tenant's pipelines (at most 20), oldest first.",
    )
    async def pipelines(self, info: Info) -> list[Pipeline]:
        model = models.Pipeline
        return await root_list(
            info.context,
            model,
            Pipeline.from_row,
            model.created_at,
            model.id,
            limit=bounds.PIPELINES,
        )

    @strawberry.field(
        description="Stage-to-stage conversion, average time in stage, win rate, average "
        "deal size, sales cycle and velocity of the pipeline over a window ending now; null "
        "for an unknown pipeline. README: Pipeline analytics."
    )
    async def pipeline_analytics(
        self, info: Info, pipeline_id: strawberry.ID, period: AnalyticsPeriod
    ) -> PipelineAnalytics | None:
        return await pipeline_analytics(info, parse_id(pipeline_id, field="pipelineId"), period)

    @strawberry.field(
        description="The API design's unified pipeline report: the pipeline, its analytics and "
        "its forecast in one answer; null for an unknown pipeline. README: Pipeline report."
    )
    async def pipeline_report(
        self, info: Info, pipeline_id: strawberry.ID
    ) -> PipelineReport | None:
        return await PipelineReport.resolve_reference(info, pipeline_id)

    @strawberry.field(
        description="Runs of the tenant's automation rules, newest first: those of a "
        "pipeline, a stage, a deal or a rule when given (all of them must match).",
    )
    async def automation_runs(
        self,
        info: Info,
        pipeline_id: strawberry.ID | None = None,
        stage_id: strawberry.ID | None = None,
        deal_id: strawberry.ID | None = None,
        rule_id: strawberry.ID | None = None,
        outcome: AutomationOutcome | None = None,
        pagination: PaginationInput | None = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[AutomationRun]:
        return await runs(
            info,
            page_args(first, after, last, before, pagination),
            pipeline_id=parse_optional_id(pipeline_id, field="pipelineId"),
            stage_id=parse_optional_id(stage_id, field="stageId"),
            deal_id=parse_optional_id(deal_id, field="dealId"),
            rule_id=parse_optional_id(rule_id, field="ruleId"),
            outcome=None if outcome is None else outcome.value,
        )
