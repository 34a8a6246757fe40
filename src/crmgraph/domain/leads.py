"""Leads: prospects created, changed, qualified and deleted; scoring is in lead_scoring and
conversion into a contact, account and deal in lead_conversion."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import delete, update
from sqlalchemy.ext.asyncio import AsyncSession

from crmgraph.db import models
from crmgraph.db.scoping import Scope, get_scoped, tenant_filter
from crmgraph.domain import validation
from crmgraph.domain.changes import UNSET, Maybe, Rule, sent
from crmgraph.domain.lead_scoring import rescore_lead
from crmgraph.errors import DomainError, ErrorCode
from crmgraph.events import lead_payloads, outbox

LEAD_STATUSES = ("NEW", "CONTACTED", "QUALIFIED", "UNQUALIFIED", "CONVERTED")
QUALIFIED_SCORE = 70


@dataclass(frozen=True, kw_only=True)
class NewLead:
    first_name: str
    last_name: str
    email: str
    source: str
    phone: str | None = None
    company: str | None = None
    job_title: str | None = None
    status: str = "NEW"
    score: int | None = None  # None: the model's (computed once the lead is stored)
    custom_fields: dict[str, Any] | None = None
    # The Zoho record mirrored (crmgraph.zoho.mapping); None for entities made here.
    zoho_id: str | None = None
    zoho_modified_at: datetime | None = None


async def create_lead(session: AsyncSession, *, scope: Scope, data: NewLead) -> models.Lead:
    settable_status(data.status)
    lead = models.Lead(
        tenant_id=scope.tenant_id,
        first_name=validation.required_text(data.first_name, field="firstName", max_length=100),
        last_name=validation.required_text(data.last_name, field="lastName", max_length=100),
        email=validation.email(data.email),
        source=validation.required_text(data.source, field="source", max_length=100),
        phone=data.phone,
        company=data.company,
        job_title=data.job_title,
        status=data.status,
        score=0 if data.score is None else validation.percentage(data.score, field="score"),
        custom_fields=data.custom_fields,
        owner_id=scope.user_id,
        zoho_id=data.zoho_id,
        zoho_modified_at=data.zoho_modified_at,
    )
    session.add(lead)
    if data.score is not None:  # kept as the manual_score adjustment; no change to record
        await rescore_lead(session, scope, lead, target=data.score)
    await outbox.record(session, scope=scope, event=lead_payloads.LeadCreated, row=lead)
    return lead


@dataclass(frozen=True, kw_only=True)
class LeadChanges:
    """A partial update (crmgraph.domain.changes): UNSET keeps a field, None clears it."""

    first_name: Maybe[str] = UNSET
    last_name: Maybe[str] = UNSET
    email: Maybe[str] = UNSET
    source: Maybe[str] = UNSET
    phone: Maybe[str | None] = UNSET
    company: Maybe[str | None] = UNSET
    job_title: Maybe[str | None] = UNSET
    status: Maybe[str] = UNSET
    score: Maybe[int] = UNSET
    custom_fields: Maybe[dict[str, Any] | None] = UNSET
    # Not in the GraphQL input: lead routing (crmgraph.domain.lead_routing) sets it to a rep
    # of the tenant it read.
    owner_id: Maybe[UUID | None] = UNSET


def settable_status(status: str, *, field: str = "status") -> str:
    if status not in LEAD_STATUSES:
        raise validation.invalid(field, f"status must be one of {', '.join(LEAD_STATUSES)}")
    if status == "CONVERTED":
        raise validation.invalid(field, "a lead becomes CONVERTED only through convertLead")
    return status


RULES: dict[str, Rule] = {
    "first_name": lambda v: validation.required_text(v, field="firstName", max_length=100),
    "last_name": lambda v: validation.required_text(v, field="lastName", max_length=100),
    "source": lambda v: validation.required_text(v, field="source", max_length=100),
    "email": validation.email,
    "score": lambda v: validation.percentage(v, field="score"),
    "status": settable_status,
}


def checked_changes(current_status: str, changes: LeadChanges) -> dict[str, Any]:
    """The validated column values to set, by the same rules as create_lead."""
    values = sent(changes)
    if "status" in values and current_status == "CONVERTED":
        raise DomainError(ErrorCode.CONFLICT, "a converted lead keeps its status",
                          field="status")  # fmt: skip
    return {name: value if value is None or name not in RULES else RULES[name](value)
            for name, value in values.items()}  # fmt: skip


async def update_lead(
    session: AsyncSession, *, scope: Scope, lead_id: UUID, changes: LeadChanges
) -> models.Lead:
    lead = await get_scoped(session, models.Lead, lead_id, scope=scope)
    values = checked_changes(lead.status, changes)
    score = values.pop("score", None)
    for name, value in values.items():
        setattr(lead, name, value)
    if score is not None:
        await rescore_lead(session, scope, lead, target=score)
    await outbox.record(session, scope=scope, event=lead_payloads.LeadUpdated, row=lead)
    return lead


async def delete_lead(session: AsyncSession, *, scope: Scope, lead_id: UUID) -> UUID:
    """Contacts converted from the lead stay, without their leadSource."""
    lead = await get_scoped(session, models.Lead, lead_id, scope=scope)
    # Recorded first: the event carries the snapshot of the row about to go.
    await outbox.record(session, scope=scope, event=lead_payloads.LeadDeleted, row=lead)
    await session.execute(
        update(models.Contact)
        .where(tenant_filter(models.Contact, scope), models.Contact.lead_id == lead.id)
        .values(lead_id=None)
    )
    history = models.LeadScoreHistory
    await session.execute(delete(history).where(history.lead_id == lead.id))
    await session.delete(lead)
    await session.flush()
    return lead_id


@dataclass(frozen=True, kw_only=True)
class Qualification:
    """Besides the new status, a partial update (crmgraph.domain.changes) of these fields."""

    qualification_notes: Maybe[str | None] = UNSET
    score: Maybe[int] = UNSET
    next_action: Maybe[str | None] = UNSET


async def qualify_lead(
    session: AsyncSession, *, scope: Scope, lead_id: UUID, data: Qualification
) -> models.Lead:
    lead = await get_scoped(session, models.Lead, lead_id, scope=scope, field="leadId")
    if lead.status == "CONVERTED":
        raise DomainError(ErrorCode.CONFLICT, "the lead is already converted", field="leadId")
    values = sent(data)
    score = values.pop("score", None)
    if score is not None:
        validation.percentage(score, field="score")
    lead.status = "QUALIFIED"
    for name, value in values.items():
        setattr(lead, name, value)
    if score is not None:
        await rescore_lead(session, scope, lead, target=score)
    await outbox.record(session, scope=scope, event=lead_payloads.LeadQualified, row=lead)
    return lead


def is_qualified(lead: models.Lead) -> bool:
    return lead.status in ("QUALIFIED", "CONVERTED") or lead.score >= QUALIFIED_SCORE
