"""Mutation fields of the pipelines subgraph."""

from __future__ import annotations

import strawberry

from crmgraph.domain import pipelines
from crmgraph.gql.context import Info
from subgraphs.pipelines.types import Pipeline


@strawberry.input
class StageInput:
    name: str
    order: int
    probability: int


@strawberry.input
class CreatePipelineInput:
    name: str
    description: str | None = None
    stages: list[StageInput]

    def to_domain(self) -> pipelines.NewPipeline:
        return pipelines.NewPipeline(
            name=self.name,
            description=self.description,
            stages=tuple(
                pipelines.NewStage(name=s.name, order=s.order, probability=s.probability)
                for s in self.stages
            ),
        )


@strawberry.type
class PipelinePayload:
    pipeline: Pipeline


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Create a pipeline with its stages.")
    async def create_pipeline(self, info: Info, input: CreatePipelineInput) -> PipelinePayload:
        data = input.to_domain()
        pipeline, _ = await info.context.write(
            lambda session, scope: pipelines.create_pipeline(session, scope=scope, data=data)
        )
        return PipelinePayload(pipeline=Pipeline.from_row(pipeline))
