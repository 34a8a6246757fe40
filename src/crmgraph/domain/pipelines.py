"""Pipelines and their ordered stages."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from crmgraph.db import models
from crmgraph.db.scoping import Scope
from crmgraph.domain import validation
from crmgraph.events import outbox


@dataclass(frozen=True, kw_only=True)
class NewStage:
    name: str
    order: int
    probability: int


@dataclass(frozen=True, kw_only=True)
class NewPipeline:
    name: str
    description: str | None = None
    stages: tuple[NewStage, ...] = ()


async def create_pipeline(
    session: AsyncSession, *, scope: Scope, data: NewPipeline
) -> tuple[models.Pipeline, list[models.PipelineStage]]:
    """A pipeline needs at least one stage; stage orders are unique within it."""
    if not data.stages:
        raise validation.invalid("stages", "a pipeline needs at least one stage")
    orders = [s.order for s in data.stages]
    if len(set(orders)) != len(orders):
        raise validation.invalid("stages", "stage orders must be unique")
    pipeline = models.Pipeline(
        tenant_id=scope.tenant_id,
        name=validation.required_text(data.name, field="name", max_length=200),
        description=data.description,
    )
    session.add(pipeline)
    await session.flush()
    stages = [
        models.PipelineStage(
            tenant_id=scope.tenant_id,
            pipeline_id=pipeline.id,
            name=validation.required_text(s.name, field=f"stages.{i}.name", max_length=200),
            position=s.order,
            probability=validation.percentage(s.probability, field=f"stages.{i}.probability"),
        )
        for i, s in enumerate(sorted(data.stages, key=lambda s: s.order))
    ]
    session.add_all(stages)
    await session.flush()  # stage ids are assigned at flush; the event carries them
    await outbox.record(
        session,
        scope=scope,
        topic="pipeline.created",
        row=pipeline,
        extra={"stages": [outbox.snapshot(s) for s in stages]},
    )
    return pipeline, stages
