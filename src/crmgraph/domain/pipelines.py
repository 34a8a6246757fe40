"""Pipelines, their ordered stages and the stages' automation rules."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, Select, delete, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from crmgraph.db import models
from crmgraph.db.scoping import Scope, get_scoped, scoped
from crmgraph.db.types import utcnow
from crmgraph.domain import bounds, validation
from crmgraph.errors import DomainError, ErrorCode
from crmgraph.events import outbox, payloads


class Keep(Enum):
    """Marks a field of a change set the caller did not send (None would clear it)."""

    KEEP = "KEEP"


KEEP = Keep.KEEP


@dataclass(frozen=True, kw_only=True)
class RuleCondition:
    field: str
    operator: str
    value: Any = None


@dataclass(frozen=True, kw_only=True)
class RuleAction:
    """One step of a rule; parameters are the action's other keys (userId, title, ...)."""

    type: str
    parameters: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class AutomationRule:
    """Either shape of the API design: one `action` with `parameters`, or `conditions` and a
    list of `actions` (both may be combined)."""

    trigger: str
    action: str | None = None
    parameters: dict[str, Any] | None = None
    conditions: tuple[RuleCondition, ...] = ()
    actions: tuple[RuleAction, ...] = ()


@dataclass(frozen=True, kw_only=True)
class NewStage:
    name: str
    order: int
    probability: int
    automation_rules: tuple[AutomationRule, ...] = ()


@dataclass(frozen=True, kw_only=True)
class NewPipeline:
    name: str
    description: str | None = None
    stages: tuple[NewStage, ...] = ()


@dataclass(frozen=True, kw_only=True)
class PipelineChanges:
    name: str | Keep | None = KEEP
    description: str | Keep | None = KEEP


@dataclass(frozen=True, kw_only=True)
class StageChanges:
    name: str | Keep | None = KEEP
    probability: int | Keep | None = KEEP
    order: int | Keep | None = KEEP
    automation_rules: Sequence[AutomationRule] | Keep | None = KEEP


async def create_pipeline(
    session: AsyncSession, *, scope: Scope, data: NewPipeline
) -> tuple[models.Pipeline, list[models.PipelineStage]]:
    """A pipeline needs at least one stage; stage orders are unique within it."""
    if not data.stages:
        raise validation.invalid("stages", "a pipeline needs at least one stage")
    validation.at_most(data.stages, bounds.PIPELINE_STAGES, field="stages")
    orders = [s.order for s in data.stages]
    if len(set(orders)) != len(orders):
        raise validation.invalid("stages", "stage orders must be unique")
    name = validation.required_text(data.name, field="name", max_length=200)
    pipelines = scoped(select(models.Pipeline.id), models.Pipeline, scope)
    await _check_room(session, pipelines, bounds.PIPELINES, "a tenant has at most {} pipelines")
    pipeline = models.Pipeline(
        tenant_id=scope.tenant_id,
        name=name,
        description=data.description,
    )
    session.add(pipeline)
    await session.flush()
    stages = [
        _new_stage(scope, pipeline, s, field=f"stages.{i}.")
        for i, s in enumerate(sorted(data.stages, key=lambda s: s.order))
    ]
    session.add_all(stages)
    await session.flush()  # stage ids are assigned at flush; the event carries them
    await outbox.record(
        session,
        scope=scope,
        event=payloads.PipelineCreated,
        row=pipeline,
        extra={"stages": stages},
    )
    return pipeline, stages


async def update_pipeline(
    session: AsyncSession, *, scope: Scope, pipeline_id: UUID, changes: PipelineChanges
) -> models.Pipeline:
    pipeline = await get_scoped(session, models.Pipeline, pipeline_id, scope=scope)
    if changes.name is not KEEP:
        if changes.name is None:
            raise validation.invalid("name", "name cannot be null")
        pipeline.name = validation.required_text(changes.name, field="name", max_length=200)
    if changes.description is not KEEP:
        pipeline.description = changes.description
    await outbox.record(session, scope=scope, event=payloads.PipelineUpdated, row=pipeline)
    return pipeline


async def delete_pipeline(session: AsyncSession, *, scope: Scope, pipeline_id: UUID) -> UUID:
    """Only an unused pipeline can go: deals, or the stage history of deals, keep it."""
    pipeline = await get_scoped(session, models.Pipeline, pipeline_id, scope=scope)
    stages = select(models.PipelineStage.id).where(models.PipelineStage.pipeline_id == pipeline_id)
    if await _in_use(session, scope, stages, pipeline_id=pipeline_id):
        raise DomainError(
            ErrorCode.CONFLICT,
            "deals still use this pipeline; move or delete them first",
            field="id",
        )
    await outbox.record(session, scope=scope, event=payloads.PipelineDeleted, row=pipeline)
    await session.execute(
        delete(models.PipelineStage).where(models.PipelineStage.pipeline_id == pipeline_id)
    )
    await session.delete(pipeline)
    return pipeline_id


async def add_pipeline_stage(
    session: AsyncSession, *, scope: Scope, pipeline_id: UUID, data: NewStage
) -> models.PipelineStage:
    """The new stage may carry automation rules, which (as in update_pipeline_stage) will need
    the pipelines:manage permission, checked on the GraphQL field."""
    pipeline = await get_scoped(
        session, models.Pipeline, pipeline_id, scope=scope, field="pipelineId"
    )
    await _check_order_free(session, pipeline_id, data.order, stage_id=None)
    st = models.PipelineStage
    stages = select(st.id).where(st.pipeline_id == pipeline_id)
    await _check_room(session, stages, bounds.PIPELINE_STAGES, "a pipeline has at most {} stages")
    stage = _new_stage(scope, pipeline, data, field="")
    session.add(stage)
    await _record_stage_change(session, scope, pipeline, stage, change="stage_added")
    return stage


async def update_pipeline_stage(
    session: AsyncSession,
    *,
    scope: Scope,
    pipeline_id: UUID,
    stage_id: UUID,
    changes: StageChanges,
) -> models.PipelineStage:
    """Rewrites the stage's automation rules when given ([] removes them). Changing rules
    will need the pipelines:manage permission; that check belongs on the GraphQL field, as a
    permission class, not here."""
    pipeline, stage = await _pipeline_stage(session, scope, pipeline_id, stage_id)
    if changes.name is not KEEP:
        if changes.name is None:
            raise validation.invalid("name", "name cannot be null")
        stage.name = validation.required_text(changes.name, field="name", max_length=200)
    if changes.probability is not KEEP:
        if changes.probability is None:
            raise validation.invalid("probability", "probability cannot be null")
        stage.probability = validation.percentage(changes.probability, field="probability")
    if changes.order is not KEEP:
        if changes.order is None:
            raise validation.invalid("order", "order cannot be null")
        await _check_order_free(session, pipeline_id, changes.order, stage_id=stage.id)
        stage.position = changes.order
    if changes.automation_rules is not KEEP:
        stage.automation_rules = rules_to_json(changes.automation_rules or ())
    await _record_stage_change(session, scope, pipeline, stage, change="stage_updated")
    return stage


async def remove_pipeline_stage(
    session: AsyncSession, *, scope: Scope, pipeline_id: UUID, stage_id: UUID
) -> models.Pipeline:
    """A stage with deals, or in the stage history of deals, stays; so does the last one."""
    pipeline, stage = await _pipeline_stage(session, scope, pipeline_id, stage_id)
    stages = scoped(select(models.PipelineStage.id), models.PipelineStage, scope).where(
        models.PipelineStage.pipeline_id == pipeline_id
    )
    if len(list(await session.scalars(stages))) <= 1:
        raise validation.invalid("stageId", "a pipeline needs at least one stage")
    this_stage = select(models.PipelineStage.id).where(models.PipelineStage.id == stage_id)
    if await _in_use(session, scope, this_stage):
        raise DomainError(
            ErrorCode.CONFLICT, "deals are or were in this stage; it cannot be removed",
            field="stageId",
        )  # fmt: skip
    await _record_stage_change(session, scope, pipeline, stage, change="stage_removed")
    await session.delete(stage)
    return pipeline


def rules_to_json(
    rules: Sequence[AutomationRule], *, field: str = "automationRules"
) -> list[dict[str, Any]]:
    """The stored form is the API design's JSON: keys are left out when empty, and an
    action's parameters sit beside its type ({"type": "assign_user", "userId": ...})."""
    validation.at_most(rules, bounds.AUTOMATION_RULES, field=field)
    return [_rule_json(rule, field=f"{field}.{i}") for i, rule in enumerate(rules)]


def rules_from_json(raw: object) -> list[AutomationRule]:
    """Tolerant of rows written by other clients: unknown keys are dropped, odd types skipped."""
    if not isinstance(raw, list):
        return []
    # Cut to the bounds the router prices these lists by, whoever wrote the row.
    return [_rule(item) for item in raw if isinstance(item, dict)][: bounds.AUTOMATION_RULES]


def _rule_json(rule: AutomationRule, *, field: str) -> dict[str, Any]:
    out: dict[str, Any] = {
        "trigger": validation.required_text(rule.trigger, field=f"{field}.trigger", max_length=100)
    }
    if rule.action is not None:
        out["action"] = validation.required_text(
            rule.action, field=f"{field}.action", max_length=100
        )
    if rule.parameters is not None:
        out["parameters"] = rule.parameters
    validation.at_most(rule.conditions, bounds.RULE_CONDITIONS, field=f"{field}.conditions")
    validation.at_most(rule.actions, bounds.RULE_ACTIONS, field=f"{field}.actions")
    if rule.conditions:
        out["conditions"] = [
            {
                "field": validation.required_text(c.field, field=f"{field}.conditions.{j}.field"),
                "operator": validation.required_text(
                    c.operator, field=f"{field}.conditions.{j}.operator", max_length=50
                ),
                "value": c.value,
            }
            for j, c in enumerate(rule.conditions)
        ]
    if rule.actions:
        out["actions"] = [_action_json(a, field=f"{field}.actions.{j}") for j, a in
                          enumerate(rule.actions)]  # fmt: skip
    if rule.action is None and not rule.actions:
        raise validation.invalid(field, "a rule needs an action or a list of actions")
    return out


def _action_json(action: RuleAction, *, field: str) -> dict[str, Any]:
    if "type" in action.parameters:
        raise validation.invalid(f"{field}.parameters", "parameters cannot contain a type key")
    kind = validation.required_text(action.type, field=f"{field}.type", max_length=100)
    return {"type": kind, **action.parameters}


def _rule(raw: dict[str, Any]) -> AutomationRule:
    parameters = raw.get("parameters")
    action = raw.get("action")
    return AutomationRule(
        trigger=str(raw.get("trigger", "")),
        action=action if isinstance(action, str) else None,
        parameters=parameters if isinstance(parameters, dict) else None,
        conditions=tuple(
            RuleCondition(
                field=str(c.get("field", "")),
                operator=str(c.get("operator", "")),
                value=c.get("value"),
            )
            for c in _dicts(raw.get("conditions"))[: bounds.RULE_CONDITIONS]
        ),
        actions=tuple(
            RuleAction(
                type=str(a.get("type", "")),
                parameters={k: v for k, v in a.items() if k != "type"},
            )
            for a in _dicts(raw.get("actions"))[: bounds.RULE_ACTIONS]
        ),
    )


def _dicts(value: object) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _new_stage(
    scope: Scope, pipeline: models.Pipeline, data: NewStage, *, field: str
) -> models.PipelineStage:
    return models.PipelineStage(
        tenant_id=scope.tenant_id,
        pipeline_id=pipeline.id,
        name=validation.required_text(data.name, field=f"{field}name", max_length=200),
        position=data.order,
        probability=validation.percentage(data.probability, field=f"{field}probability"),
        automation_rules=rules_to_json(data.automation_rules, field=f"{field}automationRules"),
    )


async def _pipeline_stage(
    session: AsyncSession, scope: Scope, pipeline_id: UUID, stage_id: UUID
) -> tuple[models.Pipeline, models.PipelineStage]:
    pipeline = await get_scoped(
        session, models.Pipeline, pipeline_id, scope=scope, field="pipelineId"
    )
    stage = await get_scoped(session, models.PipelineStage, stage_id, scope=scope, field="stageId")
    if stage.pipeline_id != pipeline.id:
        raise validation.invalid("stageId", "the stage is not in this pipeline")
    return pipeline, stage


async def _check_room(session: AsyncSession, rows: Select[Any], limit: int, message: str) -> None:
    """CONFLICT when `rows` already holds `limit` rows (a bound of crmgraph.domain.bounds)."""
    found = await session.scalar(select(func.count()).select_from(rows.subquery()))
    if (found or 0) >= limit:
        raise DomainError(ErrorCode.CONFLICT, message.format(limit))


async def _check_order_free(
    session: AsyncSession, pipeline_id: UUID, order: int, *, stage_id: UUID | None
) -> None:
    st = models.PipelineStage
    others = [] if stage_id is None else [st.id != stage_id]
    taken = await session.scalar(
        select(st.id).where(st.pipeline_id == pipeline_id, st.position == order, *others)
    )
    if taken is not None:
        raise DomainError(
            ErrorCode.CONFLICT, f"another stage of the pipeline has order {order}", field="order"
        )


async def _in_use(
    session: AsyncSession,
    scope: Scope,
    stage_ids: Select[UUID],
    *,
    pipeline_id: UUID | None = None,
) -> bool:
    """Does any deal sit in, or any recorded stage change name, one of these stages?"""
    d, c = models.Deal, models.DealStageChange
    deal_here: ColumnElement[bool] = d.stage_id.in_(stage_ids)
    if pipeline_id is not None:
        deal_here = or_(deal_here, d.pipeline_id == pipeline_id)
    deals = exists().where(d.tenant_id == scope.tenant_id, deal_here)
    history = exists().where(
        c.tenant_id == scope.tenant_id,
        or_(c.from_stage_id.in_(stage_ids), c.to_stage_id.in_(stage_ids)),
    )
    return bool(await session.scalar(select(or_(deals, history))))


async def _record_stage_change(
    session: AsyncSession,
    scope: Scope,
    pipeline: models.Pipeline,
    stage: models.PipelineStage,
    *,
    change: str,
) -> None:
    await session.flush()  # a new stage gets its id here; the event carries it
    pipeline.updated_at = utcnow()
    await outbox.record(
        session,
        scope=scope,
        event=payloads.PipelineChanged,
        row=pipeline,
        extra={"change": change, "stage": stage},
    )
