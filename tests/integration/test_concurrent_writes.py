"""Concurrent writes of one row, on both databases: each transaction sees the one before.

PostgreSQL serialises them with the row lock of crmgraph.db.scoping.get_scoped; SQLite with
the write lock a write transaction takes when it begins (crmgraph.db.engine)."""

from __future__ import annotations

import asyncio
import uuid
from itertools import pairwise

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from crmgraph.db import models
from crmgraph.db.scoping import Scope, get_scoped, scoped
from crmgraph.domain import contacts, deals
from crmgraph.errors import DomainError, ErrorCode
from tests.factories import make_pipeline

MOVES = 24


async def test_concurrent_moves_of_one_deal_keep_one_chain(
    sessions: async_sessionmaker[AsyncSession], tenant: str
) -> None:
    scope = Scope(tenant_id=tenant)
    async with sessions() as session, session.begin():
        _, stages = await make_pipeline(session, scope)
        deal = await deals.create_deal(session, scope=scope, data=deals.NewDeal(title="D", value=1))
    names = list(stages)

    async def move(target: uuid.UUID) -> str:
        try:
            async with sessions() as session, session.begin():
                await deals.move_deal_stage(
                    session, scope=scope, deal_id=deal.id, stage_id=target, reason=None
                )
        except DomainError as exc:
            assert exc.code is ErrorCode.CONFLICT, exc
            return "conflict"
        return "moved"

    targets = [stages[names[1 + i % (len(names) - 1)]].id for i in range(MOVES)]
    outcomes = await asyncio.gather(*(move(target) for target in targets))

    change = models.DealStageChange
    async with sessions() as session:
        history = list(
            await session.scalars(
                scoped(select(change), change, scope)
                .where(change.deal_id == deal.id)
                .order_by(change.created_at, change.id)
            )
        )
        current = await session.get(models.Deal, deal.id)
    assert current is not None
    broken = [(a.to_stage_id, b.from_stage_id) for a, b in pairwise(history)
              if b.from_stage_id != a.to_stage_id]  # fmt: skip
    assert broken == [], f"{len(broken)} of {len(history) - 1} changes fork the history"
    assert len(history) == outcomes.count("moved") + 1
    assert current.stage_id == history[-1].to_stage_id


# On SQLite a second writer cannot begin while the first is open, so there is nothing to
# interleave: the database's write lock rules out this deadlock.
@pytest.mark.parametrize("sessions", ["postgresql"], indirect=True)
async def test_a_write_that_names_a_row_does_not_lock_it(
    sessions: async_sessionmaker[AsyncSession], tenant: str
) -> None:
    """Only the row a write changes is locked, not the rows it refers to: deleting a contact
    (contact, then its deals) while its deal is updated (deal, then contactId) must not
    deadlock, as it would if the update locked the contact it names."""
    scope = Scope(tenant_id=tenant)
    async with sessions() as session, session.begin():
        await make_pipeline(session, scope)
        contact = await contacts.create_contact(
            session, scope=scope, data=contacts.NewContact(first_name="C", last_name="D")
        )
        deal = await deals.create_deal(
            session, scope=scope, data=deals.NewDeal(title="D", value=1, contact_id=contact.id)
        )
    deleting = asyncio.Event()

    async def delete_contact() -> None:
        async with sessions() as session, session.begin():
            await get_scoped(session, models.Contact, contact.id, scope=scope)
            deleting.set()
            await contacts.delete_contact(session, scope=scope, contact_id=contact.id)

    async with sessions() as session, session.begin():
        await get_scoped(session, models.Deal, deal.id, scope=scope)  # the update's first read
        deletion = asyncio.create_task(delete_contact())
        await asyncio.wait_for(deleting.wait(), 10)
        await asyncio.sleep(0.3)  # the deletion now waits for this transaction's deal
        changes = deals.DealChanges(title="Renamed", contact_id=contact.id)
        await deals.update_deal(session, scope=scope, deal_id=deal.id, changes=changes)
    await asyncio.wait_for(deletion, 10)

    async with sessions() as session:
        row = await session.get(models.Deal, deal.id)
    assert row is not None
    assert (row.title, row.contact_id) == ("Renamed", None)
