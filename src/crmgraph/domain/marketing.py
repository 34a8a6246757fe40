"""Campaigns and touchpoints: what marketing records about leads and contacts.

A touchpoint belongs to a lead, a contact or both; it is never copied when the lead
converts: the journey reader (crmgraph.graph.journeys) follows the lead to the contact and
deals it became. Every write records its typed event (campaign.created, campaign.updated,
touchpoint.recorded) for the outbox's consumers (the Neo4j projection among them).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import UTC, datetime
from decimal import Decimal
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from crmgraph.db import models
from crmgraph.db.scoping import Scope, get_scoped, scoped
from crmgraph.domain import validation
from crmgraph.domain.changes import UNSET, Maybe, Rule, apply_changes, camel, sent
from crmgraph.errors import DomainError, ErrorCode
from crmgraph.events import lead_payloads, outbox

CAMPAIGN_STATUSES = ("PLANNED", "ACTIVE", "PAUSED", "COMPLETED", "CANCELLED")
TEXT = 200  # utm parameters and channel: the columns' length


def campaign_status(value: str, *, field: str = "status") -> str:
    if value not in CAMPAIGN_STATUSES:
        raise validation.invalid(field, f"status must be one of {', '.join(CAMPAIGN_STATUSES)}")
    return value


def _optional_text(value: str | None, *, field: str, max_length: int) -> str | None:
    if value is None or not value.strip():
        return None
    return validation.required_text(value, field=field, max_length=max_length)


def _budget(value: float | Decimal) -> Decimal:
    return validation.non_negative_money(value, field="budget")


def _check_dates(start: datetime | None, end: datetime | None) -> None:
    if start is not None and end is not None and end < start:
        raise validation.invalid("endDate", "endDate must not be before startDate")


@dataclass(frozen=True, kw_only=True)
class NewCampaign:
    name: str
    type: str | None = None
    budget: float | Decimal | None = None
    start_date: datetime | None = None
    end_date: datetime | None = None
    status: str = "PLANNED"
    zoho_id: str | None = None


RULES: dict[str, Rule] = {
    "name": lambda v: validation.required_text(v, field="name"),
    "type": lambda v: _optional_text(v, field="type", max_length=64),
    "budget": _budget,
    "status": campaign_status,
    "zoho_id": lambda v: _optional_text(v, field="zohoId", max_length=64),
}


async def create_campaign(
    session: AsyncSession, *, scope: Scope, data: NewCampaign
) -> models.Campaign:
    _check_dates(data.start_date, data.end_date)
    campaign = models.Campaign(tenant_id=scope.tenant_id)
    values = {f.name: getattr(data, f.name) for f in fields(data)}
    apply_changes(campaign, values, RULES)
    await _unique_zoho_id(session, scope, campaign)
    session.add(campaign)
    await outbox.record(session, scope=scope, event=lead_payloads.CampaignCreated, row=campaign)
    return campaign


async def _unique_zoho_id(session: AsyncSession, scope: Scope, campaign: models.Campaign) -> None:
    """One campaign per Zoho record in a tenant: CONFLICT rather than the index's error."""
    if campaign.zoho_id is None:
        return
    stmt = scoped(select(models.Campaign.id), models.Campaign, scope).where(
        models.Campaign.zoho_id == campaign.zoho_id
    )
    if campaign.id is not None:  # not yet flushed: a new row has no id to leave out
        stmt = stmt.where(models.Campaign.id != campaign.id)
    if await session.scalar(stmt.limit(1)) is not None:
        raise DomainError(ErrorCode.CONFLICT, "another campaign mirrors that Zoho record",
                          field="zohoId")  # fmt: skip


@dataclass(frozen=True, kw_only=True)
class CampaignChanges:
    """A partial update (crmgraph.domain.changes): UNSET keeps a field, None clears it."""

    name: Maybe[str] = UNSET
    type: Maybe[str | None] = UNSET
    budget: Maybe[float | Decimal | None] = UNSET
    start_date: Maybe[datetime | None] = UNSET
    end_date: Maybe[datetime | None] = UNSET
    status: Maybe[str] = UNSET
    zoho_id: Maybe[str | None] = UNSET


async def update_campaign(
    session: AsyncSession, *, scope: Scope, campaign_id: UUID, changes: CampaignChanges
) -> models.Campaign:
    campaign = await get_scoped(session, models.Campaign, campaign_id, scope=scope)
    values = sent(changes)
    _check_dates(values.get("start_date", campaign.start_date),
                 values.get("end_date", campaign.end_date))  # fmt: skip
    apply_changes(campaign, values, RULES)
    if "zoho_id" in values:
        await _unique_zoho_id(session, scope, campaign)
    await outbox.record(session, scope=scope, event=lead_payloads.CampaignUpdated, row=campaign)
    return campaign


@dataclass(frozen=True, kw_only=True)
class NewTouchpoint:
    lead_id: UUID | None = None
    contact_id: UUID | None = None
    campaign_id: UUID | None = None
    utm_source: str | None = None
    utm_medium: str | None = None
    utm_campaign: str | None = None
    utm_content: str | None = None
    utm_term: str | None = None
    referrer: str | None = None
    landing_page: str | None = None
    channel: str | None = None
    occurred_at: datetime | None = None  # now when left out


async def record_touchpoint(
    session: AsyncSession, *, scope: Scope, data: NewTouchpoint
) -> models.Touchpoint:
    """A lead's, a contact's or both (each of this tenant); its campaign must be one too."""
    if data.lead_id is None and data.contact_id is None:
        raise validation.invalid("leadId", "a touchpoint needs a leadId or a contactId")
    for model, key, field in ((models.Lead, data.lead_id, "leadId"),
                              (models.Contact, data.contact_id, "contactId"),
                              (models.Campaign, data.campaign_id, "campaignId")):  # fmt: skip
        if key is not None:
            await get_scoped(session, model, key, scope=scope, field=field, lock=False)
    texts = {name: _optional_text(getattr(data, name), field=camel(name), max_length=TEXT)
             for name in ("utm_source", "utm_medium", "utm_campaign", "utm_content",
                          "utm_term", "channel")}  # fmt: skip
    touch = models.Touchpoint(
        tenant_id=scope.tenant_id,
        lead_id=data.lead_id,
        contact_id=data.contact_id,
        campaign_id=data.campaign_id,
        referrer=_optional_text(data.referrer, field="referrer", max_length=2000),
        landing_page=_optional_text(data.landing_page, field="landingPage", max_length=2000),
        occurred_at=data.occurred_at or datetime.now(UTC),
        **texts,
    )
    session.add(touch)
    await outbox.record(session, scope=scope, event=lead_payloads.TouchpointRecorded, row=touch)
    return touch
