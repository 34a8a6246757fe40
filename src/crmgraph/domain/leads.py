"""Leads: prospects scored, qualified and finally converted into a contact, account and deal."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum
from typing import Any
from uuid import UUID

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from crmgraph.db import models
from crmgraph.db.scoping import Scope, get_scoped, scoped
from crmgraph.domain import bounds, validation
from crmgraph.domain.accounts import NewAccount, create_account
from crmgraph.domain.contacts import NewContact, create_contact, full_name
from crmgraph.domain.deals import NewDeal, create_deal
from crmgraph.errors import DomainError, ErrorCode
from crmgraph.events import outbox, payloads

LEAD_STATUSES = ("NEW", "CONTACTED", "QUALIFIED", "UNQUALIFIED", "CONVERTED")
QUALIFIED_SCORE = 70


class Unset(Enum):
    """Marks an update field the caller did not send (None means "set to null")."""

    UNSET = "UNSET"


UNSET = Unset.UNSET


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
    score: int = 0
    custom_fields: dict[str, Any] | None = None


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
        score=validation.percentage(data.score, field="score"),
        custom_fields=data.custom_fields,
        owner_id=scope.user_id,
    )
    session.add(lead)
    await outbox.record(session, scope=scope, event=payloads.LeadCreated, row=lead)
    return lead


@dataclass(frozen=True, kw_only=True)
class LeadChanges:
    """A partial update: only fields that are not UNSET change."""

    first_name: str | Unset | None = UNSET
    last_name: str | Unset | None = UNSET
    email: str | Unset | None = UNSET
    source: str | Unset | None = UNSET
    phone: str | Unset | None = UNSET
    company: str | Unset | None = UNSET
    job_title: str | Unset | None = UNSET
    status: str | Unset | None = UNSET
    score: int | Unset | None = UNSET
    custom_fields: dict[str, Any] | Unset | None = UNSET


def settable_status(status: str, *, field: str = "status") -> str:
    if status not in LEAD_STATUSES:
        raise validation.invalid(field, f"status must be one of {', '.join(LEAD_STATUSES)}")
    if status == "CONVERTED":
        raise validation.invalid(field, "a lead becomes CONVERTED only through convertLead")
    return status


def checked_changes(current_status: str, changes: LeadChanges) -> dict[str, Any]:
    """The validated column values to set, by the same rules as create_lead."""
    out: dict[str, Any] = {}
    required = {"first_name": ("firstName", 100), "last_name": ("lastName", 100),
                "source": ("source", 100)}  # fmt: skip
    for name, (field, max_length) in required.items():
        value = getattr(changes, name)
        if value is not UNSET:
            out[name] = validation.required_text(_not_null(value, field), field=field,
                                                 max_length=max_length)  # fmt: skip
    if changes.email is not UNSET:
        out["email"] = validation.email(_not_null(changes.email, "email"))
    for name in ("phone", "company", "job_title", "custom_fields"):
        value = getattr(changes, name)
        if value is not UNSET:
            out[name] = value
    if changes.score is not UNSET:
        out["score"] = validation.percentage(_not_null(changes.score, "score"), field="score")
    if changes.status is not UNSET:
        if current_status == "CONVERTED":
            raise DomainError(ErrorCode.CONFLICT, "a converted lead keeps its status",
                              field="status")  # fmt: skip
        out["status"] = settable_status(_not_null(changes.status, "status"))
    return out


def _not_null(value: Any, field: str) -> Any:
    if value is None:
        raise validation.invalid(field, f"{field} must not be null")
    return value


async def update_lead(
    session: AsyncSession, *, scope: Scope, lead_id: UUID, changes: LeadChanges
) -> models.Lead:
    lead = await get_scoped(session, models.Lead, lead_id, scope=scope)
    values = checked_changes(lead.status, changes)
    score = values.pop("score", lead.score)
    for name, value in values.items():
        setattr(lead, name, value)
    await _rescore(session, scope, lead, score, factors=None, always=False)
    await outbox.record(session, scope=scope, event=payloads.LeadUpdated, row=lead)
    return lead


async def delete_lead(session: AsyncSession, *, scope: Scope, lead_id: UUID) -> UUID:
    """Contacts converted from the lead stay, without their leadSource."""
    lead = await get_scoped(session, models.Lead, lead_id, scope=scope)
    # Recorded first: the event carries the snapshot of the row about to go.
    await outbox.record(session, scope=scope, event=payloads.LeadDeleted, row=lead)
    await session.execute(
        update(models.Contact)
        .where(models.Contact.tenant_id == scope.tenant_id, models.Contact.lead_id == lead.id)
        .values(lead_id=None)
    )
    history = models.LeadScoreHistory
    await session.execute(delete(history).where(history.lead_id == lead.id))
    await session.delete(lead)
    await session.flush()
    return lead_id


@dataclass(frozen=True, kw_only=True)
class Qualification:
    qualification_notes: str | None = None
    score: int | None = None
    next_action: str | None = None


async def qualify_lead(
    session: AsyncSession, *, scope: Scope, lead_id: UUID, data: Qualification
) -> models.Lead:
    lead = await get_scoped(session, models.Lead, lead_id, scope=scope, field="leadId")
    if lead.status == "CONVERTED":
        raise DomainError(ErrorCode.CONFLICT, "the lead is already converted", field="leadId")
    score = lead.score if data.score is None else validation.percentage(data.score, field="score")
    lead.status = "QUALIFIED"
    if data.qualification_notes is not None:
        lead.qualification_notes = data.qualification_notes
    if data.next_action is not None:
        lead.next_action = data.next_action
    await _rescore(session, scope, lead, score, factors=None, always=False)
    await outbox.record(session, scope=scope, event=payloads.LeadQualified, row=lead)
    return lead


@dataclass(frozen=True, kw_only=True)
class ScoringFactor:
    factor: str
    points: int | None = None
    reason: str | None = None


async def update_lead_score(
    session: AsyncSession,
    *,
    scope: Scope,
    lead_id: UUID,
    score: int,
    factors: tuple[ScoringFactor, ...] = (),
) -> tuple[models.Lead, models.LeadScoreHistory]:
    """Always records a history row, even when the score stays the same."""
    validation.at_most(factors, bounds.SCORING_FACTORS, field="scoringFactors")
    lead = await get_scoped(session, models.Lead, lead_id, scope=scope, field="leadId")
    validation.percentage(score, field="score")
    for i, f in enumerate(factors):
        validation.required_text(f.factor, field=f"scoringFactors.{i}.factor")
    row = await _rescore(session, scope, lead, score, factors=factors, always=True)
    assert row is not None
    return lead, row


def factors_json(factors: tuple[ScoringFactor, ...]) -> dict[str, Any]:
    # The column holds a JSON object, so the list sits under one key.
    return {"factors": [{"factor": f.factor.strip(), "points": f.points, "reason": f.reason}
                        for f in factors]}  # fmt: skip


def factors_of(row: models.LeadScoreHistory) -> list[ScoringFactor]:
    # Rows other clients wrote are cut to the bound the router prices this list by.
    raw = ((row.factors or {}).get("factors") or [])[: bounds.SCORING_FACTORS]
    return [ScoringFactor(factor=str(f["factor"]), points=f.get("points"),
                          reason=f.get("reason")) for f in raw]  # fmt: skip


async def _rescore(
    session: AsyncSession,
    scope: Scope,
    lead: models.Lead,
    score: int,
    *,
    factors: tuple[ScoringFactor, ...] | None,
    always: bool,
) -> models.LeadScoreHistory | None:
    """Set the score; a change (or always) leaves a history row and a lead.scored event."""
    if score == lead.score and not always:
        return None
    factors_data = factors_json(factors or ())
    extra = {"previous_score": lead.score, "new_score": score, **factors_data}
    row = models.LeadScoreHistory(
        tenant_id=scope.tenant_id,
        lead_id=lead.id,
        previous_score=lead.score,
        new_score=score,
        factors=factors_data,
    )
    lead.score = score
    session.add(row)
    await outbox.record(session, scope=scope, event=payloads.LeadScored, row=lead, extra=extra)
    return row


@dataclass(frozen=True, kw_only=True)
class Conversion:
    """What convertLead should make of the lead; ids link existing rows instead of creating."""

    create_contact: bool = True
    contact_id: UUID | None = None
    create_account: bool = True
    account_id: UUID | None = None
    create_deal: bool = False
    deal_title: str | None = None
    deal_value: float | None = None
    pipeline_id: UUID | None = None
    stage_id: UUID | None = None


@dataclass(frozen=True, kw_only=True)
class Converted:
    lead: models.Lead
    contact: models.Contact | None
    account: models.Account | None
    deal: models.Deal | None


async def convert_lead(
    session: AsyncSession, *, scope: Scope, lead_id: UUID, data: Conversion
) -> Converted:
    """Everything or nothing: the caller's transaction rolls back every row on any failure.

    With createAccount and no accountId, an account named exactly like the lead's company is
    linked if the tenant has one, else created; a lead without a company gets no account.
    """
    lead = await get_scoped(session, models.Lead, lead_id, scope=scope, field="leadId")
    if lead.status == "CONVERTED":
        raise DomainError(ErrorCode.CONFLICT, "the lead is already converted", field="leadId")
    account = await _account_for(session, scope, lead, data)
    contact = await _contact_for(session, scope, lead, account, data)
    deal = None
    if data.create_deal:
        title = data.deal_title or lead.company or full_name(lead.first_name, lead.last_name)
        deal_data = NewDeal(
            title=validation.required_text(title, field="dealTitle"),
            value=float(validation.non_negative_money(data.deal_value or 0, field="dealValue")),
            pipeline_id=data.pipeline_id,
            stage_id=data.stage_id,
            contact_id=None if contact is None else contact.id,
            account_id=None if account is None else account.id,
        )
        deal = await create_deal(session, scope=scope, data=deal_data)
    lead.status = "CONVERTED"
    lead.converted_at = datetime.now(UTC)
    lead.converted_contact_id = None if contact is None else contact.id
    lead.converted_account_id = None if account is None else account.id
    lead.converted_deal_id = None if deal is None else deal.id
    result = {
        "contact_id": None if contact is None else str(contact.id),
        "account_id": None if account is None else str(account.id),
        "deal_id": None if deal is None else str(deal.id),
    }
    await outbox.record(
        session, scope=scope, event=payloads.LeadConverted, row=lead, extra={"conversion": result}
    )
    return Converted(lead=lead, contact=contact, account=account, deal=deal)


async def _account_for(
    session: AsyncSession, scope: Scope, lead: models.Lead, data: Conversion
) -> models.Account | None:
    if data.account_id is not None:
        return await get_scoped(
            session, models.Account, data.account_id, scope=scope, field="accountId"
        )
    if not data.create_account or not (lead.company or "").strip():
        return None
    name = (lead.company or "").strip()
    stmt = scoped(select(models.Account), models.Account, scope).where(models.Account.name == name)
    existing = await session.scalar(stmt.order_by(models.Account.created_at).limit(1))
    if existing is not None:
        return existing
    return await create_account(session, scope=scope, data=NewAccount(name=name))


async def _contact_for(
    session: AsyncSession,
    scope: Scope,
    lead: models.Lead,
    account: models.Account | None,
    data: Conversion,
) -> models.Contact | None:
    account_id = None if account is None else account.id
    if data.contact_id is not None:
        contact = await get_scoped(
            session, models.Contact, data.contact_id, scope=scope, field="contactId"
        )
        if contact.lead_id is not None and contact.lead_id != lead.id:
            raise DomainError(
                ErrorCode.CONFLICT, "the contact comes from another lead", field="contactId"
            )
        contact.lead_id = lead.id
        contact.account_id = contact.account_id or account_id
        await outbox.record(session, scope=scope, event=payloads.ContactUpdated, row=contact)
        return contact
    if not data.create_contact:
        return None
    new = NewContact(
        first_name=lead.first_name,
        last_name=lead.last_name,
        email=lead.email,
        phone=lead.phone,
        company=lead.company,
        job_title=lead.job_title,
        account_id=account_id,
    )
    contact = await create_contact(session, scope=scope, data=new)
    contact.lead_id = lead.id
    return contact


def is_qualified(lead: models.Lead) -> bool:
    return lead.status in ("QUALIFIED", "CONVERTED") or lead.score >= QUALIFIED_SCORE
