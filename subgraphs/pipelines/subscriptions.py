"""Subscription fields of the pipelines subgraph: a pipeline's figures after each deal change."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import datetime

import strawberry

from crmgraph.events.payloads import DealCreated, DealDeleted, DealStageChanged, DealUpdated
from crmgraph.gql.context import Info
from crmgraph.gql.ids import parse_id
from subgraphs.pipelines.loaders import whole_days
from subgraphs.pipelines.types import Pipeline

DEAL_EVENTS = (DealCreated, DealUpdated, DealStageChanged, DealDeleted)


@strawberry.type(description="A pipeline's deal figures just after a change of one of its deals.")
class PipelineMetrics:
    pipeline: Pipeline
    total_value: float = strawberry.field(description="Total value of the ACTIVE deals.")
    deal_count: int = strawberry.field(description="Number of ACTIVE deals.")
    average_deal_size: float = strawberry.field(description="totalValue / dealCount; 0 if none.")
    won_count: int
    lost_count: int
    conversion_rate: float = strawberry.field(
        description="WON / (WON + LOST) * 100; 0 while none is closed."
    )
    average_sales_cycle: int = strawberry.field(
        description="Average whole days from creation to close of the WON deals."
    )
    changed_deal_id: strawberry.ID = strawberry.field(description="The deal whose change it was.")
    change: str = strawberry.field(description="What happened: deal.created, deal.updated, ...")
    timestamp: datetime


@strawberry.type
class Subscription:
    @strawberry.subscription(
        description="The pipeline's figures, again after each deal created, changed, moved "
        "or deleted in it.",
    )
    async def pipeline_metrics_updated(
        self, info: Info, pipeline_id: strawberry.ID
    ) -> AsyncGenerator[PipelineMetrics, None]:
        pipeline_id_ = parse_id(pipeline_id, field="pipelineId")
        async for event in info.context.events(*DEAL_EVENTS):
            if event.payload.deal.pipeline_id != pipeline_id_:
                continue
            loaders = info.context.loaders
            pipeline = await loaders.pipeline_by_id.load(pipeline_id_)
            if pipeline is None:
                continue
            found = await loaders.pipeline_metrics.load(pipeline_id_)
            closed = found.won + found.lost
            yield PipelineMetrics(
                pipeline=Pipeline.from_row(pipeline),
                total_value=float(found.active_value),
                deal_count=found.active_count,
                average_deal_size=(
                    float(found.active_value) / found.active_count if found.active_count else 0.0
                ),
                won_count=found.won,
                lost_count=found.lost,
                conversion_rate=100.0 * found.won / closed if closed else 0.0,
                average_sales_cycle=whole_days(found.sales_cycle_seconds),
                changed_deal_id=strawberry.ID(str(event.aggregate_id)),
                change=event.topic.value,
                timestamp=event.created_at,
            )
