"""GraphQL types of the pipelines subgraph."""

from __future__ import annotations

from datetime import datetime

import strawberry

from crmgraph.db import models
from crmgraph.gql.context import Info
from crmgraph.gql.ids import parse_id


@strawberry.federation.type(keys=["id"], description="One step of a pipeline.")
class PipelineStage:
    id: strawberry.ID
    name: str
    order: int
    probability: int

    @classmethod
    def from_row(cls, row: models.PipelineStage) -> PipelineStage:
        return cls(
            id=strawberry.ID(str(row.id)),
            name=row.name,
            order=row.position,
            probability=row.probability,
        )

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> PipelineStage | None:
        row = await info.context.loaders.stage_by_id.load(parse_id(id))
        return None if row is None else cls.from_row(row)


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

    @strawberry.field(description="Stages in order.")
    async def stages(self, info: Info) -> list[PipelineStage]:
        rows = await info.context.loaders.stages_by_pipeline.load(parse_id(self.id))
        return [PipelineStage.from_row(row) for row in rows]
