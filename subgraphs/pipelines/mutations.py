"""Mutation fields of the pipelines subgraph."""

from __future__ import annotations

import strawberry

from crmgraph.domain import pipelines
from crmgraph.gql.context import Info
from crmgraph.gql.ids import parse_id
from crmgraph.gql.shared_types import DeletePayload
from subgraphs.pipelines.inputs import (
    CreatePipelineInput,
    StageInput,
    UpdatePipelineInput,
    UpdateStageInput,
)
from subgraphs.pipelines.types import Pipeline, PipelineStage


@strawberry.type
class PipelinePayload:
    pipeline: Pipeline


@strawberry.type
class StagePayload:
    stage: PipelineStage


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="Create a pipeline with its stages.",
    )
    async def create_pipeline(self, info: Info, input: CreatePipelineInput) -> PipelinePayload:
        data = input.to_domain()
        pipeline, _ = await info.context.write(
            lambda session, scope: pipelines.create_pipeline(session, scope=scope, data=data)
        )
        return PipelinePayload(pipeline=Pipeline.from_row(pipeline))

    @strawberry.mutation(
        description="Rename a pipeline or change its description.",
    )
    async def update_pipeline(
        self, info: Info, id: strawberry.ID, input: UpdatePipelineInput
    ) -> PipelinePayload:
        pipeline_id, changes = parse_id(id), input.to_domain()
        pipeline = await info.context.write(
            lambda session, scope: pipelines.update_pipeline(
                session, scope=scope, pipeline_id=pipeline_id, changes=changes
            )
        )
        return PipelinePayload(pipeline=Pipeline.from_row(pipeline))

    @strawberry.mutation(
        description="Delete a pipeline and its stages; CONFLICT while deals use it.",
    )
    async def delete_pipeline(self, info: Info, id: strawberry.ID) -> DeletePayload:
        pipeline_id = parse_id(id)
        await info.context.write(
            lambda session, scope: pipelines.delete_pipeline(
                session, scope=scope, pipeline_id=pipeline_id
            )
        )
        return DeletePayload(id=id)

    @strawberry.mutation(
        description="Add a stage; its order must be free in the pipeline.",
    )
    async def add_pipeline_stage(
        self, info: Info, pipeline_id: strawberry.ID, input: StageInput
    ) -> StagePayload:
        parent, data = parse_id(pipeline_id, field="pipelineId"), input.to_domain()
        stage = await info.context.write(
            lambda session, scope: pipelines.add_pipeline_stage(
                session, scope=scope, pipeline_id=parent, data=data
            )
        )
        return StagePayload(stage=PipelineStage.from_row(stage))

    @strawberry.mutation(
        description="Change a stage of the pipeline: name, probability (0 to 100), order "
        "(free in the pipeline) or automation rules.",
    )
    async def update_pipeline_stage(
        self,
        info: Info,
        pipeline_id: strawberry.ID,
        stage_id: strawberry.ID,
        input: UpdateStageInput,
    ) -> StagePayload:
        parent = parse_id(pipeline_id, field="pipelineId")
        stage_uuid, changes = parse_id(stage_id, field="stageId"), input.to_domain()
        stage = await info.context.write(
            lambda session, scope: pipelines.update_pipeline_stage(
                session, scope=scope, pipeline_id=parent, stage_id=stage_uuid, changes=changes
            )
        )
        return StagePayload(stage=PipelineStage.from_row(stage))

    @strawberry.mutation(
        description="Remove a stage no deal is or was in; a pipeline keeps at least one.",
    )
    async def remove_pipeline_stage(
        self, info: Info, pipeline_id: strawberry.ID, stage_id: strawberry.ID
    ) -> PipelinePayload:
        parent, stage_uuid = (
            parse_id(pipeline_id, field="pipelineId"),
            parse_id(stage_id, field="stageId"),
        )
        pipeline = await info.context.write(
            lambda session, scope: pipelines.remove_pipeline_stage(
                session, scope=scope, pipeline_id=parent, stage_id=stage_uuid
            )
        )
        return PipelinePayload(pipeline=Pipeline.from_row(pipeline))
