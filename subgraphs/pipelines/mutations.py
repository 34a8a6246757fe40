"""Mutation fields of the pipelines subgraph."""

from __future__ import annotations

import strawberry

from crmgraph.domain import pipelines
from crmgraph.gql.context import Info
from crmgraph.gql.ids import parse_id
from crmgraph.gql.inputs import given
from crmgraph.gql.shared_types import DeletePayload
from subgraphs.pipelines.automation import AutomationRuleInput, rules_in
from subgraphs.pipelines.types import Pipeline, PipelineStage


@strawberry.input
class StageInput:
    name: str
    order: int
    probability: int
    automation_rules: list[AutomationRuleInput] | None = None

    def to_domain(self, *, field: str = "automationRules") -> pipelines.NewStage:
        return pipelines.NewStage(
            name=self.name,
            order=self.order,
            probability=self.probability,
            automation_rules=rules_in(self.automation_rules or [], field=field),
        )


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
                s.to_domain(field=f"stages.{i}.automationRules") for i, s in enumerate(self.stages)
            ),
        )


@strawberry.input(description="Only the fields given change; null clears the description.")
class UpdatePipelineInput:
    name: str | None = strawberry.UNSET
    description: str | None = strawberry.UNSET

    def to_domain(self) -> pipelines.PipelineChanges:
        return given(self, pipelines.PipelineChanges)


@strawberry.input(description="Only the fields given change; null clears an optional field.")
class UpdateStageInput:
    name: str | None = strawberry.UNSET
    probability: int | None = strawberry.UNSET
    order: int | None = strawberry.UNSET
    automation_rules: list[AutomationRuleInput] | None = strawberry.field(
        default=strawberry.UNSET,
        description="Replaces all rules of the stage; [] or null removes them.",
    )

    def to_domain(self) -> pipelines.StageChanges:
        return given(self, pipelines.StageChanges, automation_rules=rules_in)


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
