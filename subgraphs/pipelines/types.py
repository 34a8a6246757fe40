"""GraphQL types of the pipelines subgraph."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry

from crmgraph.db import models
from crmgraph.db.pagination import PageArgs
from crmgraph.gql.connections import Connection
from crmgraph.gql.context import Info
from crmgraph.gql.entities import by_ids
from crmgraph.gql.ids import parse_id
from subgraphs.pipelines.automation import AutomationRule, rules_out
from subgraphs.pipelines.loaders import whole_days
from subgraphs.pipelines.runs import AutomationRun, runs


@strawberry.federation.type(keys=["id"], description="One step of a pipeline.")
class PipelineStage:
    id: strawberry.ID
    name: str
    order: int
    probability: int
    automation_rules: list[AutomationRule] = strawberry.field(
        description="What the stage does when its triggers fire, in the order they were given."
    )

    @classmethod
    def from_row(cls, row: models.PipelineStage) -> PipelineStage:
        return cls(
            id=strawberry.ID(str(row.id)),
            name=row.name,
            order=row.position,
            probability=row.probability,
            automation_rules=rules_out(row.automation_rules),
        )

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> PipelineStage | None:
        row = await info.context.loaders.stage_by_id.load(parse_id(id))
        return None if row is None else cls.from_row(row)

    @classmethod
    async def resolve_references(cls, info: Info, ids: list[Any]) -> list[PipelineStage | None]:
        return await by_ids(info.context.loaders.stage_by_id, ids, cls.from_row)

    @strawberry.field(description="ACTIVE deals now in the stage.")
    async def deal_count(self, info: Info) -> int:
        return (await info.context.loaders.stage_metrics.load(parse_id(self.id))).deal_count

    @strawberry.field(description="Total value of the ACTIVE deals now in the stage.")
    async def stage_value(self, info: Info) -> float:
        return float((await info.context.loaders.stage_metrics.load(parse_id(self.id))).stage_value)

    @strawberry.field(
        description="Average whole days (rounded down) a deal stays in the stage; 0 without "
        "data. Each stay counts once: a completed stay runs from entering the stage to the "
        "deal's next stage change (a deal created in the stage entered it at creation); the "
        "current stay of a deal in the stage runs from when it entered up to now, or up to "
        "its close date once WON or LOST."
    )
    async def average_time_in_stage(self, info: Info) -> int:
        return whole_days(await info.context.loaders.stage_time_seconds.load(parse_id(self.id)))

    @strawberry.field(description="Runs of the stage's automation rules, newest first.")
    async def automation_runs(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[AutomationRun]:
        return await runs(info, PageArgs(first, after), stage_id=parse_id(self.id))


@strawberry.federation.type(keys=["id"], description="An ordered set of sales stages.")
class Pipeline:
    id: strawberry.ID
    name: str
    description: str | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_row(cls, row: models.Pipeline) -> Pipeline:
        return cls(
            id=strawberry.ID(str(row.id)),
            name=row.name,
            description=row.description,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Pipeline | None:
        row = await info.context.loaders.pipeline_by_id.load(parse_id(id))
        return None if row is None else cls.from_row(row)

    @classmethod
    async def resolve_references(cls, info: Info, ids: list[Any]) -> list[Pipeline | None]:
        return await by_ids(info.context.loaders.pipeline_by_id, ids, cls.from_row)

    @strawberry.field(description="Stages in order (a pipeline has at most 20).")
    async def stages(self, info: Info) -> list[PipelineStage]:
        rows = await info.context.loaders.stages_by_pipeline.load(parse_id(self.id))
        return [PipelineStage.from_row(row) for row in rows]

    @strawberry.field(description="Total value of the pipeline's ACTIVE deals (open ones only).")
    async def total_value(self, info: Info) -> float:
        return float(
            (await info.context.loaders.pipeline_metrics.load(parse_id(self.id))).active_value
        )

    @strawberry.field(
        description="Average value of the pipeline's ACTIVE deals: totalValue divided by their "
        "number; 0 without ACTIVE deals."
    )
    async def average_deal_size(self, info: Info) -> float:
        found = await info.context.loaders.pipeline_metrics.load(parse_id(self.id))
        return float(found.active_value) / found.active_count if found.active_count else 0.0

    @strawberry.field(
        description="Percentage (0 to 100) of the pipeline's closed deals that were WON: "
        "WON / (WON + LOST) * 100; 0 while none is closed."
    )
    async def conversion_rate(self, info: Info) -> float:
        found = await info.context.loaders.pipeline_metrics.load(parse_id(self.id))
        closed = found.won + found.lost
        return 100.0 * found.won / closed if closed else 0.0

    @strawberry.field(
        description="Average whole days (rounded down) from creation to actualCloseDate of the "
        "pipeline's WON deals; 0 without any."
    )
    async def average_sales_cycle(self, info: Info) -> int:
        found = await info.context.loaders.pipeline_metrics.load(parse_id(self.id))
        return whole_days(found.sales_cycle_seconds)
