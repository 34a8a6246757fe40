"""pipelineAnalytics' answer: stage-to-stage conversion, time in stage, win rate, deal size
and velocity of a pipeline over a trailing window (README: Pipeline analytics); and the
pipeline report that gathers it with the deals subgraph's forecast (README: Pipeline
report)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TypeAlias
from uuid import UUID

import strawberry

from crmgraph.gql.context import Info
from crmgraph.gql.enums import graphql_enum
from crmgraph.gql.ids import uuid_or_none
from crmgraph.reporting import pipeline_analytics as rules
from crmgraph.reporting.analytics_facts import closed_facts, stage_facts
from crmgraph.reporting.forecast_facts import pipeline_exists
from crmgraph.reporting.pipeline_analytics import Analytics
from subgraphs.pipelines.types import Pipeline

AnalyticsPeriod: TypeAlias = rules.Period
graphql_enum(
    AnalyticsPeriod,
    name="AnalyticsPeriod",
    description="The window pipeline analytics look at, ending now.",
)


@strawberry.type(description="One stage's flow in the window.")
class StageAnalytics:
    stage_id: strawberry.ID
    name: str
    order: int
    probability: int
    entered: int = strawberry.field(
        description="Deals that entered the stage in the window (a recorded entry, creation "
        "in it included)."
    )
    advanced: int = strawberry.field(
        description="Of those, deals that later entered a stage of higher order above 0%."
    )
    conversion_rate: float | None = strawberry.field(
        description="advanced / entered x 100; null when none entered."
    )
    average_days_in_stage: float | None = strawberry.field(
        description="Average days of the stays begun in the window: up to the deal's next "
        "stage change, or for its current stage up to now (ACTIVE) or its close date; null "
        "without a stay."
    )


@strawberry.type(description="A pipeline's analytics over a window (README: Pipeline analytics).")
class PipelineAnalytics:
    pipeline_id: strawberry.ID
    period: AnalyticsPeriod
    start: datetime | None = strawberry.field(description="Window start; null for ALL_TIME.")
    end: datetime
    stages: list[StageAnalytics] = strawberry.field(description="In stage order (at most 20).")
    won_deals: int = strawberry.field(description="Deals won in the window (by close date).")
    lost_deals: int
    won_value: float
    win_rate: float | None = strawberry.field(
        description="won / (won + lost) x 100 of the deals closed in the window; null if none."
    )
    average_deal_size: float | None = strawberry.field(
        description="Average value of the deals won in the window."
    )
    average_sales_cycle: float | None = strawberry.field(
        description="Average days from creation to close of the deals won in the window."
    )
    open_deals: int = strawberry.field(description="ACTIVE deals now.")
    open_value: float
    velocity: float | None = strawberry.field(
        description="openDeals x averageDealSize x winRate / 100 / averageSalesCycle: value "
        "expected to be won per day; null without a won deal."
    )

    @classmethod
    def of(
        cls,
        pipeline_id: UUID,
        period: AnalyticsPeriod,
        span: tuple[datetime | None, datetime],
        found: Analytics,
    ) -> PipelineAnalytics:
        closed = found.closed
        return cls(
            pipeline_id=strawberry.ID(str(pipeline_id)),
            period=period,
            start=span[0],
            end=span[1],
            stages=[
                StageAnalytics(
                    stage_id=strawberry.ID(str(s.facts.id)),
                    name=s.facts.name,
                    order=s.facts.order,
                    probability=s.facts.probability,
                    entered=s.facts.entered,
                    advanced=s.facts.advanced,
                    conversion_rate=s.conversion_rate,
                    average_days_in_stage=s.average_days,
                )
                for s in found.stages
            ],
            won_deals=closed.won,
            lost_deals=closed.lost,
            won_value=float(closed.won_value),
            win_rate=found.win_rate,
            average_deal_size=_float(found.average_deal_size),
            average_sales_cycle=found.average_sales_cycle_days,
            open_deals=closed.open_deals,
            open_value=float(closed.open_value),
            velocity=_float(found.velocity_per_day),
        )


def _float(value: object) -> float | None:
    return None if value is None else float(str(value))


async def pipeline_analytics(
    info: Info, pipeline: UUID, period: AnalyticsPeriod
) -> PipelineAnalytics | None:
    """The analytics of the tenant's pipeline; None for an unknown one."""
    scope, now = info.context.scope, datetime.now(UTC)
    start = rules.window_start(period, now)
    async with info.context.session() as session:
        if not await pipeline_exists(session, scope, pipeline):
            return None
        stages = await stage_facts(session, scope, pipeline, start, now)
        closed = await closed_facts(session, scope, pipeline, start)
    found = rules.analytics(stages, closed)
    return PipelineAnalytics.of(pipeline, period, (start, now), found)


@strawberry.federation.type(
    keys=["id"],
    description="A pipeline's report (the API design's pipelineReport), keyed by the "
    "pipeline's id: the pipeline and its analytics here, its forecast from the deals subgraph.",
)
class PipelineReport:
    id: strawberry.ID

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> PipelineReport | None:
        key = uuid_or_none(id)
        if key is None or await info.context.loaders.pipeline_by_id.load(key) is None:
            return None
        return cls(id=strawberry.ID(str(key)))

    @strawberry.field(description="The pipeline, its stages and their metrics.")
    async def pipeline(self, info: Info) -> Pipeline | None:
        return await Pipeline.resolve_reference(info, self.id)

    @strawberry.field(
        description="pipelineAnalytics over the period (the last 90 days unless given)."
    )
    async def analytics(
        self, info: Info, period: AnalyticsPeriod = AnalyticsPeriod.LAST_90_DAYS
    ) -> PipelineAnalytics | None:
        return await pipeline_analytics(info, UUID(self.id), period)
