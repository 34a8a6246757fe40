"""GET and POST /api/v1/pipelines/{pipeline_id}/stages/{stage_id}/automation: a stage's
automation rules over REST, as the API design's "Stage Automation" writes them.

POST replaces the stage's rules with the body's `rules` (as updatePipelineStage's
automationRules does: a rule that carries the id of one of the stage's rules keeps it, and
its runs stay its own; `[]` removes them all) and answers the stored rules with their ids.
Both shapes of a rule are taken: `{trigger, action, parameters}` and `{trigger, conditions,
actions}`, an action's parameters beside its type (`{"type": "assign_user", "userId":
...}`). Everything is checked by crmgraph.domain.automation_rules before anything changes;
an error names the body's field (`rules.0.conditions.0.value`).
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field
from starlette.requests import Request
from starlette.responses import JSONResponse

from crmgraph.auth.route_needs import ROUTES
from crmgraph.db import models
from crmgraph.domain import automation_rules, bounds, pipelines
from crmgraph.gql.ids import parse_id, parse_optional_id
from crmgraph.rest.auth import scope_of
from crmgraph.rest.envelope import envelope
from crmgraph.rest.errors import parsed_body
from crmgraph.rest.operations import UUID_STRING, Operation, Param, Reply
from crmgraph.runtime import Runtime

PATH = "/api/v1/pipelines/{pipeline_id}/stages/{stage_id}/automation"


class ConditionBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    field: str = Field(description="The deal field compared, e.g. value")
    operator: str = Field(description="equals, greater_than, in, is_empty, ... (README)")
    value: Any = None


class ActionBody(BaseModel):
    """An action's type; its parameters are its other keys (userId, title, dueInHours, ...)."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(description="create_task, assign_user, update_field or emit_webhook")


class RuleBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str | None = Field(default=None, description="one of the stage's rules, to keep it")
    trigger: str = Field(description="stage_entered, stage_exited, deal_created, ...")
    match: str = Field(default="all", description="all or any of the conditions")
    action: str | None = None
    parameters: dict[str, Any] | None = None
    conditions: list[ConditionBody] = Field(default_factory=list)
    actions: list[ActionBody] = Field(default_factory=list)

    def to_domain(self, field: str) -> automation_rules.AutomationRule:
        return automation_rules.AutomationRule(
            id=parse_optional_id(self.id, field=f"{field}.id"),
            trigger=self.trigger,
            match=self.match,
            action=self.action,
            parameters=self.parameters,
            conditions=tuple(
                automation_rules.RuleCondition(field=c.field, operator=c.operator, value=c.value)
                for c in self.conditions
            ),
            actions=tuple(
                automation_rules.RuleAction(type=a.type, parameters=dict(a.model_extra or {}))
                for a in self.actions
            ),
        )


class StageAutomationBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rules: list[RuleBody] = Field(max_length=bounds.AUTOMATION_RULES)


class StageAutomation(BaseModel):
    pipeline_id: str
    stage_id: str
    rules: list[dict[str, Any]] = Field(description="as stored, each with its id")


def stage_automation_operations(runtime: Runtime) -> list[Operation]:
    def ids(request: Request) -> tuple[UUID, UUID]:
        return (
            parse_id(request.path_params["pipeline_id"], field="pipeline_id"),
            parse_id(request.path_params["stage_id"], field="stage_id"),
        )

    def answer(request: Request, stage: models.PipelineStage) -> JSONResponse:
        data = StageAutomation(pipeline_id=str(stage.pipeline_id), stage_id=str(stage.id),
                               rules=list(stage.automation_rules or []))  # fmt: skip
        return JSONResponse(envelope(request, data.model_dump(mode="json")))

    async def read(request: Request) -> JSONResponse:
        scope = await scope_of(request, runtime, needs=ROUTES[f"GET {PATH}"])
        pipeline_id, stage_id = ids(request)
        async with runtime.sessions() as session:
            stage = await pipelines.pipeline_stage(
                session, scope=scope, pipeline_id=pipeline_id, stage_id=stage_id
            )
        return answer(request, stage)

    async def replace(request: Request) -> JSONResponse:
        scope = await scope_of(request, runtime, needs=ROUTES[f"POST {PATH}"])
        pipeline_id, stage_id = ids(request)
        body = await parsed_body(request, StageAutomationBody)
        rules = tuple(rule.to_domain(f"rules.{i}") for i, rule in enumerate(body.rules))
        changes = pipelines.StageChanges(automation_rules=rules)
        async with runtime.sessions() as session, session.begin():
            stage = await pipelines.update_pipeline_stage(
                session, scope=scope, pipeline_id=pipeline_id, stage_id=stage_id,
                changes=changes, rules_field="rules",
            )  # fmt: skip
        runtime.wake_consumers()  # its outbox rows are committed now
        return answer(request, stage)

    params = (Param.path("pipeline_id", UUID_STRING), Param.path("stage_id", UUID_STRING))
    return [
        Operation("GET", PATH, read, name="getStageAutomation", params=params,
                  summary="A pipeline stage's automation rules",
                  replies={200: Reply("The stage's rules", StageAutomation)}, errors=(400, 404)),
        Operation("POST", PATH, replace, name="setStageAutomation", params=params,
                  body=StageAutomationBody,
                  summary="Replace a pipeline stage's automation rules (pipelines:manage)",
                  replies={200: Reply("The stage's rules as stored", StageAutomation)},
                  errors=(400, 404, 409)),
    ]  # fmt: skip
