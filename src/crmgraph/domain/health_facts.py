"""Reads the facts of customer health (crmgraph.domain.health.AccountFacts) for any number
of accounts of a tenant: one statement per kind of fact (accounts, contacts, deals, stage
changes, stages, tasks, communications, events), whatever the number of accounts.

An account's facts are its own and those of its contacts and deals: a Zoho Desk ticket
lands on the ticket's contact (crmgraph.zoho.activities), a task on a deal."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from crmgraph.db import models
from crmgraph.db.scoping import Scope, scoped
from crmgraph.domain.health import AccountFacts, DealFact, StageVisit, SupportTicketEvent, TaskFact
from crmgraph.errors import DomainError, ErrorCode
from crmgraph.zoho.activities import TICKET_SUBJECT

Owners = dict[tuple[str, UUID], UUID]  # (related type, id) -> the account it counts for


async def load_account_facts(session: AsyncSession, scope: Scope, account_id: UUID) -> AccountFacts:
    """The facts of one account of the scope's tenant, or NOT_FOUND."""
    found = await load_facts(session, scope, [account_id])
    if account_id not in found:
        raise DomainError(ErrorCode.NOT_FOUND, f"Account {account_id} not found", field="accountId")
    return found[account_id]


async def load_facts(
    session: AsyncSession, scope: Scope, account_ids: Collection[UUID]
) -> dict[UUID, AccountFacts]:
    """The facts of each of the tenant's accounts among account_ids (others are left out)."""
    a = models.Account
    stmt = scoped(select(a.id, a.name), a, scope).where(a.id.in_(set(account_ids)))
    names = {row.id: row.name for row in await session.execute(stmt)}
    if not names:
        return {}
    owners: Owners = {("ACCOUNT", id_): id_ for id_ in names}
    c = models.Contact
    stmt_c = scoped(select(c.id, c.account_id), c, scope).where(c.account_id.in_(names))
    for row in await session.execute(stmt_c):
        owners[("CONTACT", row.id)] = row.account_id
    deals = await _deals(session, scope, owners)
    for account, deal_id, _ in deals:
        owners[("DEAL", deal_id)] = account
    tasks, support, interactions = await _activities(session, scope, owners)
    by_account: dict[UUID, list[DealFact]] = defaultdict(list)
    for account, _, fact in deals:
        by_account[account].append(fact)
    return {
        id_: AccountFacts(
            account_id=id_,
            name=name,
            support=tuple(sorted(support[id_], key=lambda t: t.occurred_at)),
            tasks=tuple(tasks[id_]),
            deals=tuple(by_account[id_]),
            interactions=tuple(sorted(interactions[id_])),
        )
        for id_, name in names.items()
    }


async def _deals(
    session: AsyncSession, scope: Scope, owners: Owners
) -> list[tuple[UUID, UUID, DealFact]]:
    """(account, deal id, facts) of the deals on the accounts or on their contacts."""
    d = models.Deal
    accounts = [id_ for kind, id_ in owners if kind == "ACCOUNT"]
    contacts = [id_ for kind, id_ in owners if kind == "CONTACT"]
    stmt = scoped(select(d), d, scope).where(
        or_(d.account_id.in_(accounts), and_(d.account_id.is_(None), d.contact_id.in_(contacts)))
    )
    rows = list(await session.scalars(stmt))
    if not rows:
        return []
    ch = models.DealStageChange
    stmt_ch = scoped(select(ch), ch, scope).where(ch.deal_id.in_([r.id for r in rows]))
    changes: dict[UUID, list[models.DealStageChange]] = defaultdict(list)
    for change in await session.scalars(stmt_ch.order_by(ch.created_at, ch.id)):
        changes[change.deal_id].append(change)
    stage_ids = {r.stage_id for r in rows}
    stage_ids |= {s for cs in changes.values() for c in cs for s in (c.from_stage_id, c.to_stage_id)
                  if s is not None}  # fmt: skip
    st = models.PipelineStage
    stmt_st = scoped(select(st.id, st.probability), st, scope).where(st.id.in_(stage_ids))
    odds = {row.id: row.probability for row in await session.execute(stmt_st)}
    found = []
    for deal in rows:
        account = deal.account_id or owners[("CONTACT", deal.contact_id)]  # type: ignore[index]
        visits = _visits(deal, changes[deal.id], odds)
        fact = DealFact(deal.value, deal.status, deal.created_at, deal.actual_close_date, visits)
        found.append((account, deal.id, fact))
    return found


def _visits(
    deal: models.Deal, changes: list[models.DealStageChange], odds: dict[UUID, int]
) -> tuple[StageVisit, ...]:
    """The stages the deal went through, from its stage history (which records its first
    stage at creation, from no stage); a deal without one was in its stage all along."""
    if not changes:
        return (StageVisit(min(deal.created_at, deal.stage_entered_at), deal.probability),)
    visits = []
    if changes[0].from_stage_id is not None:  # history that begins with a move
        visits.append(StageVisit(deal.created_at, odds.get(changes[0].from_stage_id, 0)))
    visits += [StageVisit(c.created_at, odds.get(c.to_stage_id, deal.probability)) for c in changes]
    return tuple(visits)


def _related(model: Any, owners: Owners) -> Any:
    by_type: dict[str, list[UUID]] = defaultdict(list)
    for kind, id_ in owners:
        by_type[kind].append(id_)
    return or_(*(and_(model.related_type == kind, model.related_id.in_(ids))
                 for kind, ids in by_type.items()))  # fmt: skip


async def _activities(
    session: AsyncSession, scope: Scope, owners: Owners
) -> tuple[
    dict[UUID, list[TaskFact]], dict[UUID, list[SupportTicketEvent]], dict[UUID, list[datetime]]
]:
    tasks: dict[UUID, list[TaskFact]] = defaultdict(list)
    support: dict[UUID, list[SupportTicketEvent]] = defaultdict(list)
    interactions: dict[UUID, list[datetime]] = defaultdict(list)

    def owner(row: Any) -> UUID:
        return owners[(row.related_type, row.related_id)]

    t = models.Task
    stmt_t = scoped(select(t.related_type, t.related_id, t.created_at, t.due_date,
                           t.completed_at, t.status), t, scope)  # fmt: skip
    for row in await session.execute(stmt_t.where(_related(t, owners))):
        tasks[owner(row)].append(
            TaskFact(row.created_at, row.due_date, row.completed_at, row.status == "CANCELLED")
        )
    c = models.Communication
    stmt_c = scoped(select(c.related_type, c.related_id, c.subject, c.occurred_at), c, scope)
    for comm in await session.execute(stmt_c.where(_related(c, owners))):
        ticket = _ticket_number(comm.subject)
        if ticket is None:
            interactions[owner(comm)].append(comm.occurred_at)
        else:
            support[owner(comm)].append(SupportTicketEvent(ticket, comm.occurred_at))
    e = models.Event
    stmt_e = scoped(select(e.related_type, e.related_id, e.start_time), e, scope)
    for event in await session.execute(stmt_e.where(_related(e, owners))):
        interactions[owner(event)].append(event.start_time)
    return tasks, support, interactions


def _ticket_number(subject: str | None) -> str | None:
    """The ticket of a Zoho Desk ticket's communication ("Ticket #123: ..."), else None."""
    if subject is None or not subject.startswith(TICKET_SUBJECT):
        return None
    return subject[len(TICKET_SUBJECT) :].split(":", 1)[0].strip() or None
