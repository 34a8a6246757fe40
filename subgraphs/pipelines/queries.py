"""Query fields of the pipelines subgraph."""

from __future__ import annotations

from datetime import UTC, datetime

import strawberry

from crmgraph.db import models
from crmgraph.domain import bounds
from crmgraph.gql.context import Info
from crmgraph.gql.ids import parse_id
from crmgraph.gql.lists import root_list
from crmgraph.reporting import pipeline_analytics as rules
from crmgraph.reporting.analytics_facts import closed_facts, stage_facts
from crmgraph.reporting.forecast_facts import pipeline_exists
from subgraphs.pipelines.analytics import AnalyticsPeriod, PipelineAnalytics
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
        pipeline, scope = parse_id(pipeline_id, field="pipelineId"), info.context.scope
        now = datetime.now(UTC)
        start = rules.window_start(rules.Period(period.value), now)
        async with info.context.session() as session:
            if not await pipeline_exists(session, scope, pipeline):
                return None
            stages = await stage_facts(session, scope, pipeline, start, now)
            closed = await closed_facts(session, scope, pipeline, start)
        found = rules.analytics(stages, closed)
        return PipelineAnalytics.of(pipeline_id, period, (start, now), found)
