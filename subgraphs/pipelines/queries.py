"""Query fields of the pipelines subgraph."""

from __future__ import annotations

import strawberry

from crmgraph.db import models
from crmgraph.domain import bounds
from crmgraph.gql.context import Info
from crmgraph.gql.ids import parse_id
from crmgraph.gql.lists import root_list
from subgraphs.pipelines.analytics import (
    AnalyticsPeriod,
    PipelineAnalytics,
    PipelineReport,
    pipeline_analytics,
)
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
