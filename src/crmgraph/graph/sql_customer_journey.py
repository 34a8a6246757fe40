"""The SQL reader of customer journeys (PostgreSQL and SQLite): a contact's or an account's
touchpoints (its own and its leads'), activities (about it, its leads and deals), deals
opened and closed and their stage moves, ordered by time."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from uuid import UUID

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from crmgraph.db import models
from crmgraph.db.scoping import scoped
from crmgraph.domain.customer_journey import (
    JourneyStep,
    activity_facts,
    activity_step,
    check_subject,
    deal_steps,
    ordered,
    stage_move_step,
    touch_step,
)
from crmgraph.errors import DomainError, ErrorCode
from crmgraph.graph.sql_journeys import rows_of

KINDS = {models.Task: "TASK", models.Event: "EVENT", models.Communication: "COMMUNICATION"}


async def customer_journey(
    session: AsyncSession, tenant: str, *, contact_id: UUID | None, account_id: UUID | None
) -> list[JourneyStep]:
    """Every step of the contact's (or the account's: all its contacts' and deals') journey,
    ordered by (occurred_at, id). NOT_FOUND for a contact or account not of the tenant."""
    check_subject(contact_id, account_id)
    if contact_id is not None:
        contacts = await rows_of(session, models.Contact, tenant, models.Contact.id, [contact_id])
        if not contacts:
            raise DomainError(ErrorCode.NOT_FOUND, "contact not found", field="contactId")
        deal_where: ColumnElement[bool] = models.Deal.contact_id == contact_id
        lead_where: ColumnElement[bool] = models.Lead.converted_contact_id == contact_id
        related = {("CONTACT", contact_id)}
    else:
        assert account_id is not None
        account = await rows_of(session, models.Account, tenant, models.Account.id, [account_id])
        if not account:
            raise DomainError(ErrorCode.NOT_FOUND, "account not found", field="accountId")
        contacts = list((await session.scalars(scoped(select(models.Contact), models.Contact,
            tenant).where(models.Contact.account_id == account_id))).all())  # fmt: skip
        ids = [c.id for c in contacts]
        deal_where = or_(models.Deal.account_id == account_id, models.Deal.contact_id.in_(ids))
        lead_where = or_(models.Lead.converted_account_id == account_id,
                         models.Lead.converted_contact_id.in_(ids))  # fmt: skip
        related = {("ACCOUNT", account_id)} | {("CONTACT", i) for i in ids}
    deals = list((await session.scalars(
        scoped(select(models.Deal), models.Deal, tenant).where(deal_where))).all())  # fmt: skip
    leads = list((await session.scalars(
        scoped(select(models.Lead), models.Lead, tenant).where(lead_where))).all())  # fmt: skip
    lead_ids = {x.id for x in leads} | {c.lead_id for c in contacts if c.lead_id is not None}
    contact_ids = {c.id for c in contacts}
    related |= {("DEAL", d.id) for d in deals} | {("LEAD", i) for i in lead_ids}
    steps = await _touch_steps(session, tenant, lead_ids, contact_ids)
    steps += await _activity_steps(session, tenant, related)
    steps += await _deal_steps(session, tenant, deals)
    return ordered(steps)


async def _touch_steps(
    session: AsyncSession, tenant: str, lead_ids: set[UUID], contact_ids: set[UUID]
) -> list[JourneyStep]:
    tp = models.Touchpoint
    rows = {t.id: t for t in await rows_of(session, tp, tenant, tp.lead_id, lead_ids)}
    rows.update((t.id, t) for t in await rows_of(session, tp, tenant, tp.contact_id, contact_ids))
    return [touch_step(id=t.id, occurred_at=t.occurred_at, contact_id=t.contact_id,
                       lead_id=t.lead_id, utm=(t.utm_source, t.utm_medium, t.utm_campaign),
                       referrer=t.referrer, landing_page=t.landing_page)
            for t in rows.values()]  # fmt: skip


async def _activity_steps(
    session: AsyncSession, tenant: str, related: set[tuple[str, UUID]]
) -> list[JourneyStep]:
    steps: list[JourneyStep] = []
    by_type: dict[str, set[UUID]] = defaultdict(set)
    for kind, key in related:
        by_type[kind].add(key)
    for kind, ids in by_type.items():
        for model in (models.Task, models.Event, models.Communication):
            rows: Sequence[models.Task | models.Event | models.Communication] = await rows_of(
                session, model, tenant, model.related_id, ids, model.related_type == kind
            )
            steps.extend(_activity_step(row, kind) for row in rows)
    return steps


def _activity_step(
    row: models.Task | models.Event | models.Communication, related_type: str
) -> JourneyStep:
    kind = KINDS[type(row)]
    when, title = activity_facts(kind, row)
    return activity_step(id=row.id, kind=kind, occurred_at=when, title=title,
                         related_type=related_type, related_id=row.related_id)  # fmt: skip


async def _deal_steps(
    session: AsyncSession, tenant: str, deals: Sequence[models.Deal]
) -> list[JourneyStep]:
    steps: list[JourneyStep] = []
    for deal in deals:
        steps += deal_steps(id=deal.id, title=deal.title, status=deal.status,
                            created_at=deal.created_at, closed_at=deal.actual_close_date,
                            contact_id=deal.contact_id)  # fmt: skip
    moves = await rows_of(session, models.DealStageChange, tenant, models.DealStageChange.deal_id,
                        [d.id for d in deals])  # fmt: skip
    stage_ids = {m.to_stage_id for m in moves} | {m.from_stage_id for m in moves if m.from_stage_id}
    stages = {s.id: s.name for s in await rows_of(
        session, models.PipelineStage, tenant, models.PipelineStage.id, stage_ids)}  # fmt: skip
    for move in moves:
        if move.from_stage_id is None:
            continue  # the deal's first stage: its DEAL_CREATED step says so
        steps.append(stage_move_step(id=move.id, deal_id=move.deal_id,
                                     occurred_at=move.created_at,
                                     from_stage=stages.get(move.from_stage_id),
                                     to_stage=stages.get(move.to_stage_id)))  # fmt: skip
    return steps
