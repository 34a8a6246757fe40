"""Deals: opportunities moving through the stages of a pipeline."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, NamedTuple
from uuid import UUID

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from crmgraph.db import models
from crmgraph.db.scoping import Scope, get_scoped, rows_by_id, scoped, tenant_filter
from crmgraph.db.types import utcnow
from crmgraph.domain import validation
from crmgraph.domain.activities import check_all_exist
from crmgraph.domain.changes import UNSET, Maybe, Rule, apply_changes, sent
from crmgraph.errors import DomainError, ErrorCode
from crmgraph.events import outbox, payloads

RULES: dict[str, Rule] = {
    "title": lambda v: validation.required_text(v, field="title"),
    "value": lambda v: validation.non_negative_money(v, field="value"),
    "currency": validation.currency,
    "probability": lambda v: validation.percentage(v, field="probability"),
}
STATUSES = ("ACTIVE", "WON", "LOST")


def status_for_stage(stage: models.PipelineStage) -> str:
    """A stage at 100% closes the deal as won and one at 0% as lost; others keep it open."""
    if stage.probability == 100:
        return "WON"
    if stage.probability == 0:
        return "LOST"
    return "ACTIVE"


def days_in_stage(deal: models.Deal, now: datetime | None = None) -> int:
    return max(0, ((now or datetime.now(UTC)) - deal.stage_entered_at).days)


def is_overdue(deal: models.Deal, now: datetime | None = None) -> bool:
    """Still open after its expected close date."""
    close = deal.expected_close_date
    return deal.status == "ACTIVE" and close is not None and close < (now or datetime.now(UTC))


@dataclass(frozen=True, kw_only=True)
class NewDeal:
    title: str
    value: float | Decimal
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
    # The Zoho record mirrored (crmgraph.zoho.mapping); None for entities made here.
    zoho_id: str | None = None
    zoho_modified_at: datetime | None = None


@dataclass(frozen=True, kw_only=True)
class DealChanges:
    """A partial update (crmgraph.domain.changes): UNSET keeps a field, None clears it."""

    title: Maybe[str] = UNSET
    value: Maybe[float | Decimal] = UNSET
    currency: Maybe[str] = UNSET
    probability: Maybe[int] = UNSET
    contact_id: Maybe[UUID | None] = UNSET
    account_id: Maybe[UUID | None] = UNSET
    expected_close_date: Maybe[datetime | None] = UNSET
    description: Maybe[str | None] = UNSET
    custom_fields: Maybe[dict[str, Any] | None] = UNSET
    # Not in UpdateDealInput: the assign_user action of automation rules sets it.
    owner_id: Maybe[UUID | None] = UNSET


async def create_deal(session: AsyncSession, *, scope: Scope, data: NewDeal) -> models.Deal:
    """Without pipelineId the tenant's oldest pipeline is used; without a stage, its first."""
    pipeline = await _pipeline(session, scope, data.pipeline_id)
    stage = await _stage(session, scope, pipeline, stage_id=data.stage_id, name=data.stage)
    account_id = data.account_id
    if data.contact_id is not None:
        contact = await get_scoped(
            session, models.Contact, data.contact_id, scope=scope, field="contactId", lock=False
        )
        account_id = account_id or contact.account_id
    if account_id is not None:
        await get_scoped(session, models.Account, account_id, scope=scope, field="accountId",
                         lock=False)  # fmt: skip
    probability = stage.probability if data.probability is None else data.probability
    status = status_for_stage(stage)
    # One instant for entering the stage, closing in it and the recorded change: a stay
    # bounded by two of them is never a few milliseconds below 0 (crmgraph.db.stage_stays).
    now = utcnow()
    deal = models.Deal(
        tenant_id=scope.tenant_id,
        title=validation.required_text(data.title, field="title"),
        value=validation.non_negative_money(data.value, field="value"),
        currency=validation.currency(data.currency),
        pipeline_id=pipeline.id,
        stage_id=stage.id,
        status=status,
        actual_close_date=None if status == "ACTIVE" else now,
        stage_entered_at=now,
        probability=validation.percentage(probability, field="probability"),
        contact_id=data.contact_id,
        account_id=account_id,
        expected_close_date=data.expected_close_date,
        description=data.description,
        custom_fields=data.custom_fields,
        owner_id=scope.user_id,
        zoho_id=data.zoho_id,
        zoho_modified_at=data.zoho_modified_at,
    )
    session.add(deal)
    await session.flush()
    session.add(
        models.DealStageChange(
            tenant_id=scope.tenant_id, deal_id=deal.id, from_stage_id=None, to_stage_id=stage.id,
            changed_by_id=scope.user_id, reason="created", created_at=now,
        )
    )  # fmt: skip
    await outbox.record(session, scope=scope, event=payloads.DealCreated, row=deal)
    return deal


async def update_deal(
    session: AsyncSession, *, scope: Scope, deal_id: UUID, changes: DealChanges
) -> models.Deal:
    """Partial update. The stage changes only through move_deal_stage, so its history is kept."""
    deal = await get_scoped(session, models.Deal, deal_id, scope=scope)
    values = sent(changes)
    if values.get("contact_id") is not None:
        contact = await get_scoped(session, models.Contact, values["contact_id"], scope=scope,
                                   field="contactId", lock=False)  # fmt: skip
        if "account_id" not in values and deal.account_id is None:
            values["account_id"] = contact.account_id
    if values.get("account_id") is not None:
        await get_scoped(session, models.Account, values["account_id"], scope=scope,
                         field="accountId", lock=False)  # fmt: skip
    if values.get("owner_id") is not None:
        await check_all_exist(session, scope, models.User, [values["owner_id"]], field="ownerId")
    before = deal.value
    apply_changes(deal, values, RULES)
    # The value before, when this update changed it: what deal_value_changed rules react to.
    previous = before if deal.value != before else None
    await outbox.record(session, scope=scope, event=payloads.DealUpdated, row=deal,
                        extra={"previous_value": previous})  # fmt: skip
    return deal


class StageMove(NamedTuple):
    """What move_deal_stage wrote, and the stages it read: the answer needs their names."""

    deal: models.Deal
    change: models.DealStageChange
    previous: models.PipelineStage | None
    stage: models.PipelineStage


async def move_deal_stage(
    session: AsyncSession, *, scope: Scope, deal_id: UUID, stage_id: UUID, reason: str | None
) -> StageMove:
    """Move to another stage of the deal's pipeline, recording who, when, from, to and why.
    The deal takes the stage's probability and status (won at 100%, lost at 0%)."""
    deal = await get_scoped(session, models.Deal, deal_id, scope=scope, field="dealId")
    stages = await rows_by_id(session, models.PipelineStage, {stage_id, deal.stage_id},
                              scope=scope)  # fmt: skip
    stage, previous = stages.get(stage_id), stages.get(deal.stage_id)
    if stage is None:
        raise DomainError(ErrorCode.NOT_FOUND, f"PipelineStage {stage_id} not found",
                          field="stageId")  # fmt: skip
    if stage.pipeline_id != deal.pipeline_id:
        raise validation.invalid("stageId", "the stage is not in the deal's pipeline")
    if stage.id == deal.stage_id:
        raise DomainError(ErrorCode.CONFLICT, "the deal is in that stage already", field="stageId")
    now = utcnow()  # the change, the stage entry and a close: one instant (as create_deal)
    change = models.DealStageChange(
        tenant_id=scope.tenant_id,
        deal_id=deal.id,
        from_stage_id=deal.stage_id,
        to_stage_id=stage.id,
        changed_by_id=scope.user_id,
        reason=reason,
        created_at=now,
    )
    session.add(change)
    deal.stage_id = stage.id
    deal.stage_entered_at = now
    deal.probability = stage.probability
    deal.status = status_for_stage(stage)
    deal.actual_close_date = None if deal.status == "ACTIVE" else now
    await outbox.record(
        session,
        scope=scope,
        event=payloads.DealStageChanged,
        row=deal,
        # Stage names travel with the event so subscribers need no lookup per subscriber.
        extra={"from_stage_id": change.from_stage_id, "to_stage_id": stage.id,
               "from_stage_name": previous.name if previous else None,
               "to_stage_name": stage.name, "reason": reason, "deal_stage_change": change},
    )  # fmt: skip
    return StageMove(deal, change, previous, stage)


async def delete_deal(session: AsyncSession, *, scope: Scope, deal_id: UUID) -> UUID:
    deal = await get_scoped(session, models.Deal, deal_id, scope=scope)
    await outbox.record(session, scope=scope, event=payloads.DealDeleted, row=deal)
    await session.execute(
        update(models.Lead)
        .where(tenant_filter(models.Lead, scope), models.Lead.converted_deal_id == deal_id)
        .values(converted_deal_id=None)
    )
    await session.delete(deal)
    return deal_id


async def _pipeline(
    session: AsyncSession, scope: Scope, pipeline_id: UUID | None
) -> models.Pipeline:
    if pipeline_id is not None:
        return await get_scoped(
            session, models.Pipeline, pipeline_id, scope=scope, field="pipelineId", lock=False
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
