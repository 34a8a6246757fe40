"""The SQL reader of marketing journeys (works on PostgreSQL and SQLite): each closed deal's
path with the touchpoints of its contact and of the lead it came from, and a contact's or an
account's ordered customer journey. Touchpoints stay on the lead or contact they were
recorded on; this reader follows lead -> contact -> deal (Lead.converted_contact_id,
converted_deal_id, Contact.lead_id, Deal.contact_id) rather than copying rows."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from datetime import datetime
from typing import Any, TypeVar
from uuid import UUID

from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession

from crmgraph.db import models
from crmgraph.db.scoping import scoped
from crmgraph.domain.attribution import Journey, Touchpoint

CHUNK = 500  # ids per IN list: under SQLite's and asyncpg's parameter limits with room
CLOSED = ("WON", "LOST")
M = TypeVar("M", bound=models.TenantRow)


async def rows_of(
    session: AsyncSession,
    model: type[M],
    tenant: str,
    column: Any,
    ids: Collection[UUID],
    *where: ColumnElement[bool],
) -> list[M]:
    """Rows of the tenant whose column is one of ids, a chunk of ids per statement."""
    found: list[M] = []
    keys = sorted(set(ids))
    for i in range(0, len(keys), CHUNK):
        stmt = scoped(select(model), model, tenant).where(column.in_(keys[i : i + CHUNK]), *where)
        found.extend((await session.scalars(stmt)).all())
    return found


async def revenue_journeys(
    session: AsyncSession, tenant: str, start: datetime, end: datetime, *, non_converting: bool
) -> list[Journey]:
    """One journey per deal closed (won or lost) in [start, end], in close order, touches in
    time order; with non_converting, also one per lead created in the range that became no
    such deal (still open, or never a deal), the walks the data-driven model needs."""
    deal_stmt = (
        scoped(select(models.Deal), models.Deal, tenant)
        .where(
            models.Deal.status.in_(CLOSED),
            models.Deal.actual_close_date >= start,
            models.Deal.actual_close_date <= end,
        )
        .order_by(models.Deal.actual_close_date, models.Deal.id)
    )
    deals = list((await session.scalars(deal_stmt)).all())
    contact_ids = {d.contact_id for d in deals if d.contact_id is not None}
    contacts = {c.id: c for c in await rows_of(
        session, models.Contact, tenant, models.Contact.id, contact_ids)}  # fmt: skip
    leads = await _leads_of(session, tenant, deals, contacts.values())
    extra: list[models.Lead] = []
    if non_converting:
        seen = {lead.id for lead in leads.values()}
        lead_stmt = (
            scoped(select(models.Lead), models.Lead, tenant)
            .where(models.Lead.created_at >= start, models.Lead.created_at <= end)
            .order_by(models.Lead.created_at, models.Lead.id)
        )
        extra = [x for x in (await session.scalars(lead_stmt)).all() if x.id not in seen]
    # Every lead and contact a journey reads touches of (see _deal_journey, _lead_journey).
    lead_ids = {x.id for x in (*leads.values(), *extra)}
    lead_ids |= {c.lead_id for c in contacts.values() if c.lead_id is not None}
    owners = contact_ids | _converted(extra) | _converted(leads.values())
    touches = await _touches(session, tenant, lead_ids, owners)
    journeys = [_deal_journey(d, contacts.get(d.contact_id) if d.contact_id else None,
                              leads.get(d.id), touches) for d in deals]  # fmt: skip
    journeys += [_lead_journey(lead, touches) for lead in extra]
    return journeys


def _converted(leads: Iterable[models.Lead]) -> set[UUID]:
    return {x.converted_contact_id for x in leads if x.converted_contact_id is not None}


async def _leads_of(
    session: AsyncSession,
    tenant: str,
    deals: Sequence[models.Deal],
    contacts: Iterable[models.Contact],
) -> dict[UUID, models.Lead]:
    """The lead each deal came from, by deal id: the lead converted into the deal, else the
    lead its contact was converted from."""
    deal_ids = [d.id for d in deals]
    by_deal = {lead.converted_deal_id: lead for lead in await rows_of(
        session, models.Lead, tenant, models.Lead.converted_deal_id, deal_ids)}  # fmt: skip
    contact_lead = {c.id: c.lead_id for c in contacts if c.lead_id is not None}
    by_id = {lead.id: lead for lead in await rows_of(
        session, models.Lead, tenant, models.Lead.id, set(contact_lead.values()))}  # fmt: skip
    found: dict[UUID, models.Lead] = {}
    for deal in deals:
        lead = by_deal.get(deal.id)
        if lead is None and deal.contact_id in contact_lead:
            lead = by_id.get(contact_lead[deal.contact_id])
        if lead is not None:
            found[deal.id] = lead
    return found


class _Touches:
    """Touchpoints by the lead and by the contact they were recorded on."""

    def __init__(self, rows: Iterable[models.Touchpoint]) -> None:
        self.by_lead: dict[UUID, list[models.Touchpoint]] = defaultdict(list)
        self.by_contact: dict[UUID, list[models.Touchpoint]] = defaultdict(list)
        for row in rows:
            if row.lead_id is not None:
                self.by_lead[row.lead_id].append(row)
            if row.contact_id is not None:
                self.by_contact[row.contact_id].append(row)

    def of(
        self, lead_ids: Iterable[UUID | None], contact_ids: Iterable[UUID | None]
    ) -> tuple[Touchpoint, ...]:
        rows: dict[UUID, models.Touchpoint] = {}
        for key in filter(None, lead_ids):
            rows.update((t.id, t) for t in self.by_lead.get(key, []))
        for key in filter(None, contact_ids):
            rows.update((t.id, t) for t in self.by_contact.get(key, []))
        ordered = sorted(rows.values(), key=lambda t: (t.occurred_at, t.id))
        return tuple(touchpoint_of(t) for t in ordered)


async def _touches(
    session: AsyncSession, tenant: str, leads: set[UUID], contacts: set[UUID]
) -> _Touches:
    tp = models.Touchpoint
    rows = await rows_of(session, tp, tenant, tp.lead_id, leads)
    rows += await rows_of(session, tp, tenant, tp.contact_id, contacts)
    return _Touches(rows)


def touchpoint_of(row: models.Touchpoint) -> Touchpoint:
    return Touchpoint(
        id=str(row.id),
        occurred_at=row.occurred_at,
        campaign_id=None if row.campaign_id is None else str(row.campaign_id),
        utm_source=row.utm_source,
        utm_medium=row.utm_medium,
        utm_campaign=row.utm_campaign,
        utm_content=row.utm_content,
        utm_term=row.utm_term,
        referrer=row.referrer,
        landing_page=row.landing_page,
        channel=row.channel,
    )


def _qualified_at(lead: models.Lead | None) -> datetime | None:
    """No column keeps when a lead was qualified: conversion implies it (its time), and a
    lead still QUALIFIED was last changed by that (updated_at)."""
    if lead is None:
        return None
    if lead.converted_at is not None:
        return lead.converted_at
    return lead.updated_at if lead.status == "QUALIFIED" else None


def _deal_journey(
    deal: models.Deal, contact: models.Contact | None, lead: models.Lead | None, touches: _Touches
) -> Journey:
    lead_ids = [None if lead is None else lead.id, None if contact is None else contact.lead_id]
    contact_ids = [deal.contact_id, None if lead is None else lead.converted_contact_id]
    return Journey(
        id=str(deal.id),
        touchpoints=touches.of(lead_ids, contact_ids),
        converted=deal.status == "WON",
        revenue=deal.value,
        deal_id=str(deal.id),
        lead_id=None if lead is None else str(lead.id),
        lead_created_at=None if lead is None else lead.created_at,
        qualified_at=_qualified_at(lead),
        opportunity_created_at=deal.created_at,
        closed_at=deal.actual_close_date,
    )


def _lead_journey(lead: models.Lead, touches: _Touches) -> Journey:
    return Journey(
        id=f"lead:{lead.id}",
        touchpoints=touches.of([lead.id], [lead.converted_contact_id]),
        lead_id=str(lead.id),
        lead_created_at=lead.created_at,
        qualified_at=_qualified_at(lead),
    )
