"""Deals: opportunities moving through the stages of a pipeline."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from crmgraph.db import models
from crmgraph.db.scoping import Scope, get_scoped, scoped
from crmgraph.domain import validation
from crmgraph.events import outbox


@dataclass(frozen=True, kw_only=True)
class NewDeal:
    title: str
    value: float
    currency: str = "USD"
    pipeline_id: UUID | None = None
    stage_id: UUID | None = None
    stage: str | None = None
    probability: int | None = None
    contact_id: UUID | None = None
    account_id: UUID | None = None
    expected_close_date: datetime | None = None
    description: str | None = None
    custom_fields: dict[str, Any] | None = None


async def create_deal(session: AsyncSession, *, scope: Scope, data: NewDeal) -> models.Deal:
    """Without pipelineId the tenant's oldest pipeline is used; without a stage, its first."""
    pipeline = await _pipeline(session, scope, data.pipeline_id)
    stage = await _stage(session, scope, pipeline, stage_id=data.stage_id, name=data.stage)
    account_id = data.account_id
    if data.contact_id is not None:
        contact = await get_scoped(
            session, models.Contact, data.contact_id, scope=scope, field="contactId"
        )
        account_id = account_id or contact.account_id
    if account_id is not None:
        await get_scoped(session, models.Account, account_id, scope=scope, field="accountId")
    probability = stage.probability if data.probability is None else data.probability
    deal = models.Deal(
        tenant_id=scope.tenant_id,
        title=validation.required_text(data.title, field="title"),
        value=validation.non_negative_money(data.value, field="value"),
        currency=validation.currency(data.currency),
        pipeline_id=pipeline.id,
        stage_id=stage.id,
        probability=validation.percentage(probability, field="probability"),
        contact_id=data.contact_id,
        account_id=account_id,
        expected_close_date=data.expected_close_date,
        description=data.description,
        custom_fields=data.custom_fields,
        owner_id=scope.user_id,
    )
    session.add(deal)
    await outbox.record(session, scope=scope, topic="deal.created", row=deal)
    return deal


async def _pipeline(
    session: AsyncSession, scope: Scope, pipeline_id: UUID | None
) -> models.Pipeline:
    if pipeline_id is not None:
        return await get_scoped(
            session, models.Pipeline, pipeline_id, scope=scope, field="pipelineId"
        )
    stmt = scoped(select(models.Pipeline), models.Pipeline, scope)
    oldest = await session.scalar(stmt.order_by(models.Pipeline.created_at).limit(1))
    if oldest is None:
        raise validation.invalid("pipelineId", "the tenant has no pipeline; create one first")
    return oldest


async def _stage(
    session: AsyncSession,
    scope: Scope,
    pipeline: models.Pipeline,
    *,
    stage_id: UUID | None,
    name: str | None,
) -> models.PipelineStage:
    stmt = scoped(select(models.PipelineStage), models.PipelineStage, scope).where(
        models.PipelineStage.pipeline_id == pipeline.id
    )
    stages = list(await session.scalars(stmt.order_by(models.PipelineStage.position)))
    if stage_id is not None:
        match = [s for s in stages if s.id == stage_id]
        if not match:
            raise validation.invalid("stageId", "the stage is not in the deal's pipeline")
        return match[0]
    if name is not None:
        match = [s for s in stages if s.name.casefold() == name.strip().casefold()]
        if not match:
            raise validation.invalid("stage", f"no stage named {name!r} in the deal's pipeline")
        return match[0]
    if not stages:
        raise validation.invalid("pipelineId", "the pipeline has no stages")
    return stages[0]
