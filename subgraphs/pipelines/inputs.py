"""Input types of the pipelines subgraph: the inputs of its mutations (automation rules
take theirs from automation.py)."""

from __future__ import annotations

import strawberry

from crmgraph.domain import pipelines
from crmgraph.gql.inputs import given
from subgraphs.pipelines.automation import AutomationRuleInput, rules_in


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
