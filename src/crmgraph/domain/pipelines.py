"""Pipelines and their ordered stages; the stages' automation rules are in automation_rules."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, Select, delete, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from crmgraph.db import models
from crmgraph.db.scoping import Scope, get_scoped, scoped, tenant_filter
from crmgraph.db.types import utcnow
from crmgraph.domain import bounds, validation
from crmgraph.domain.automation_rules import AutomationRule, rules_from_json, stored_rules
from crmgraph.domain.changes import UNSET, Maybe, apply_changes, sent
from crmgraph.errors import DomainError, ErrorCode
from crmgraph.events import outbox, payloads


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
    """A partial update (crmgraph.domain.changes): UNSET keeps a field, None clears it."""

    name: Maybe[str] = UNSET
    description: Maybe[str | None] = UNSET


@dataclass(frozen=True, kw_only=True)
class StageChanges:
    """A partial update (crmgraph.domain.changes); None on automation_rules removes them."""

    name: Maybe[str] = UNSET
    probability: Maybe[int] = UNSET
    order: Maybe[int] = UNSET
    automation_rules: Maybe[Sequence[AutomationRule] | None] = UNSET


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
        await _new_stage(session, scope, pipeline, s, field=f"stages.{i}.")
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
    name = {"name": lambda v: validation.required_text(v, field="name", max_length=200)}
    apply_changes(pipeline, sent(changes), name)
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
    stage = await _new_stage(session, scope, pipeline, data, field="")
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
    rules_field: str = "automationRules",
) -> models.PipelineStage:
    """Rewrites the stage's automation rules when given ([] or null removes them); their
    errors name rules_field (the caller's name for the list). Changing rules needs the
    pipelines:manage permission, checked where the caller's operation is declared
    (auth/needs.py, auth/route_needs.py), not here."""
    pipeline, stage = await _pipeline_stage(session, scope, pipeline_id, stage_id)
    values = sent(changes)
    if "order" in values:
        await _check_order_free(session, pipeline_id, values["order"], stage_id=stage.id)
        stage.position = values.pop("order")
    if "automation_rules" in values:
        keep = {rule.id for rule in rules_from_json(stage.automation_rules) if rule.id}
        stage.automation_rules = await stored_rules(
            session, scope, values.pop("automation_rules") or (), field=rules_field, keep=keep
        )
    apply_changes(stage, values, {
        "name": lambda v: validation.required_text(v, field="name", max_length=200),
        "probability": lambda v: validation.percentage(v, field="probability"),
    })  # fmt: skip
    await _record_stage_change(session, scope, pipeline, stage, change="stage_updated")
    return stage


async def pipeline_stage(
    session: AsyncSession, *, scope: Scope, pipeline_id: UUID, stage_id: UUID
) -> models.PipelineStage:
    """The tenant's stage of the pipeline (NOT_FOUND, or VALIDATION_ERROR when the stage is
    another pipeline's)."""
    _, stage = await _pipeline_stage(session, scope, pipeline_id, stage_id)
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


async def _new_stage(
    session: AsyncSession, scope: Scope, pipeline: models.Pipeline, data: NewStage, *, field: str
) -> models.PipelineStage:
    stage = models.PipelineStage(
        tenant_id=scope.tenant_id,
        pipeline_id=pipeline.id,
        name=validation.required_text(data.name, field=f"{field}name", max_length=200),
        position=data.order,
        probability=validation.percentage(data.probability, field=f"{field}probability"),
    )
    stage.automation_rules = await stored_rules(session, scope, data.automation_rules,
                                                field=f"{field}automationRules")  # fmt: skip
    return stage


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
    deals = exists().where(tenant_filter(d, scope), deal_here)
    history = exists().where(
        tenant_filter(c, scope),
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
