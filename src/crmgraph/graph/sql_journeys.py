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
Rec = Any  # a result row of the columns asked (sqlalchemy Row), read by column name


async def rows_of(
    session: AsyncSession,
    model: type[M],
    tenant: str,
    column: Any,
    ids: Collection[UUID],
    *where: ColumnElement[bool],
) -> list[M]:
    """Rows of the tenant whose column is one of ids, a chunk of ids per statement."""
    return [row[0] for row in await columns_of(session, model, (model,), tenant, column, ids,
                                               *where)]  # fmt: skip


async def columns_of(
    session: AsyncSession,
    model: type[models.TenantRow],
    columns: Sequence[Any],
    tenant: str,
    column: Any,
    ids: Collection[UUID],
    *where: ColumnElement[bool],
) -> list[Rec]:
    """As rows_of, but the columns asked, as rows read by column name: given columns rather
    than the model, no ORM object is made per row."""
    found: list[Rec] = []
    keys = sorted(set(ids))
    for i in range(0, len(keys), CHUNK):
        chunk = column.in_(keys[i : i + CHUNK])
        stmt = scoped(select(*columns), model, tenant).where(chunk, *where)
        found.extend((await session.execute(stmt)).all())
    return found


# The columns a journey reads (journeys of a long range hold every touchpoint of it).
D, C, L, T = models.Deal, models.Contact, models.Lead, models.Touchpoint
DEAL = (D.id, D.contact_id, D.status, D.value, D.created_at, D.actual_close_date)
LEAD = (L.id, L.converted_deal_id, L.converted_contact_id, L.created_at, L.converted_at,
        L.updated_at, L.status)  # fmt: skip
TOUCH = (T.id, T.lead_id, T.contact_id, T.occurred_at, T.campaign_id, T.utm_source,
         T.utm_medium, T.utm_campaign, T.utm_content, T.utm_term, T.referrer, T.landing_page,
         T.channel)  # fmt: skip


async def revenue_journeys(
    session: AsyncSession, tenant: str, start: datetime, end: datetime, *, non_converting: bool
) -> list[Journey]:
    """One journey per deal closed (won or lost) in [start, end], in close order, touches in
    time order; with non_converting, also one per lead created in the range that became no
    such deal (still open, or never a deal), the walks the data-driven model needs."""
    deal_stmt = (
        scoped(select(*DEAL), models.Deal, tenant)
        .where(
            models.Deal.status.in_(CLOSED),
            models.Deal.actual_close_date >= start,
            models.Deal.actual_close_date <= end,
        )
        .order_by(models.Deal.actual_close_date, models.Deal.id)
    )
    deals = list((await session.execute(deal_stmt)).all())
    contact_ids = {d.contact_id for d in deals if d.contact_id is not None}
    contacts = {c.id: c for c in await columns_of(
        session, C, (C.id, C.lead_id), tenant, C.id, contact_ids)}  # fmt: skip
    leads = await _leads_of(session, tenant, deals, contacts.values())
    extra: list[Rec] = []
    if non_converting:
        seen = {lead.id for lead in leads.values()}
        lead_stmt = (
            scoped(select(*LEAD), models.Lead, tenant)
            .where(models.Lead.created_at >= start, models.Lead.created_at <= end)
            .order_by(models.Lead.created_at, models.Lead.id)
        )
        extra = [x for x in (await session.execute(lead_stmt)).all() if x.id not in seen]
    # Every lead and contact a journey reads touches of (see _deal_journey, _lead_journey).
    lead_ids = {x.id for x in (*leads.values(), *extra)}
    lead_ids |= {c.lead_id for c in contacts.values() if c.lead_id is not None}
    owners = contact_ids | _converted(extra) | _converted(leads.values())
    touches = await _touches(session, tenant, lead_ids, owners)
    journeys = [_deal_journey(d, contacts.get(d.contact_id) if d.contact_id else None,
                              leads.get(d.id), touches) for d in deals]  # fmt: skip
    journeys += [_lead_journey(lead, touches) for lead in extra]
    return journeys


def _converted(leads: Iterable[Rec]) -> set[UUID]:
    return {x.converted_contact_id for x in leads if x.converted_contact_id is not None}


async def _leads_of(
    session: AsyncSession,
    tenant: str,
    deals: Sequence[Rec],
    contacts: Iterable[Rec],
) -> dict[UUID, Rec]:
    """The lead each deal came from, by deal id: the lead converted into the deal, else the
    lead its contact was converted from."""
    deal_ids = [d.id for d in deals]
    by_deal = {lead.converted_deal_id: lead for lead in await columns_of(
        session, L, LEAD, tenant, L.converted_deal_id, deal_ids)}  # fmt: skip
    contact_lead = {c.id: c.lead_id for c in contacts if c.lead_id is not None}
    by_id = {lead.id: lead for lead in await columns_of(
        session, L, LEAD, tenant, L.id, set(contact_lead.values()))}  # fmt: skip
    found: dict[UUID, Rec] = {}
    for deal in deals:
        lead = by_deal.get(deal.id)
        if lead is None and deal.contact_id in contact_lead:
            lead = by_id.get(contact_lead[deal.contact_id])
        if lead is not None:
            found[deal.id] = lead
    return found


class _Touches:
    """Touchpoints by the lead and by the contact they were recorded on, each made once
    (a row read twice, by its lead and by its contact, is the same touchpoint)."""

    def __init__(self, rows: Iterable[Rec]) -> None:
        self.by_lead: dict[UUID, list[tuple[Any, UUID, Touchpoint]]] = defaultdict(list)
        self.by_contact: dict[UUID, list[tuple[Any, UUID, Touchpoint]]] = defaultdict(list)
        made: dict[UUID, tuple[Any, UUID, Touchpoint]] = {}
        for row in rows:
            if row.id not in made:
                made[row.id] = (row.occurred_at, row.id, touchpoint_of(row))
            touch = made[row.id]
            if row.lead_id is not None:
                self.by_lead[row.lead_id].append(touch)
            if row.contact_id is not None:
                self.by_contact[row.contact_id].append(touch)

    def of(
        self, lead_ids: Iterable[UUID | None], contact_ids: Iterable[UUID | None]
    ) -> tuple[Touchpoint, ...]:
        rows: dict[UUID, tuple[Any, UUID, Touchpoint]] = {}
        for key in filter(None, lead_ids):
            rows.update((t[1], t) for t in self.by_lead.get(key, []))
        for key in filter(None, contact_ids):
            rows.update((t[1], t) for t in self.by_contact.get(key, []))
        return tuple(t[2] for t in sorted(rows.values(), key=lambda t: (t[0], t[1])))


async def _touches(
    session: AsyncSession, tenant: str, leads: set[UUID], contacts: set[UUID]
) -> _Touches:
    rows = await columns_of(session, T, TOUCH, tenant, T.lead_id, leads)
    rows += await columns_of(session, T, TOUCH, tenant, T.contact_id, contacts)
    return _Touches(rows)


def touchpoint_of(row: models.Touchpoint | Rec) -> Touchpoint:
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


def _qualified_at(lead: Rec | None) -> datetime | None:
    """No column keeps when a lead was qualified: conversion implies it (its time), and a
    lead still QUALIFIED was last changed by that (updated_at)."""
    if lead is None:
        return None
    found: datetime | None = lead.converted_at
    if found is None and lead.status == "QUALIFIED":
        found = lead.updated_at
    return found


def _deal_journey(deal: Rec, contact: Rec | None, lead: Rec | None, touches: _Touches) -> Journey:
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


def _lead_journey(lead: Rec, touches: _Touches) -> Journey:
    return Journey(
        id=f"lead:{lead.id}",
        touchpoints=touches.of([lead.id], [lead.converted_contact_id]),
        lead_id=str(lead.id),
        lead_created_at=lead.created_at,
        qualified_at=_qualified_at(lead),
    )
