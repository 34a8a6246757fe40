"""Zoho records applied on PostgreSQL, each in its own transaction as the consumer will:
an upsert applied twice changes nothing the second time, its writes' events are in the
outbox, and concurrent versions of one record leave the newest (the row lock of
crmgraph.zoho.crm_fields.find)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from crmgraph.db import models
from crmgraph.db.scoping import Scope, scoped
from crmgraph.zoho.mapping import Applied, Outcome, ZohoRecord, apply_record
from tests.zoho_records import record

pytestmark = pytest.mark.parametrize("sessions", ["postgresql"], indirect=True)


def applier(
    sessions: async_sessionmaker[AsyncSession], scope: Scope
) -> Callable[[ZohoRecord], Awaitable[Applied]]:
    """Applies a record in a transaction of its own, committed."""

    async def apply(zoho: ZohoRecord) -> Applied:
        async with sessions() as session, session.begin():
            return await apply_record(session, scope, zoho)

    return apply


async def test_an_upsert_is_idempotent_and_its_events_are_recorded(
    sessions: async_sessionmaker[AsyncSession], tenant: str
) -> None:
    scope = Scope(tenant_id=tenant, kind="system")
    apply = applier(sessions, scope)

    first = await apply(record("crm_account"))
    again = await apply(record("crm_account"))
    newer = await apply(record("crm_account", later=1, fields={"Employees": 600}))
    late = await apply(record("crm_account", later=0.5, fields={"Employees": 1}))

    assert [a.outcome for a in (first, again, newer, late)] == [
        Outcome.CREATED, Outcome.SKIPPED_OLDER, Outcome.UPDATED, Outcome.SKIPPED_OLDER]  # fmt: skip
    assert {a.entity_id for a in (first, again, newer, late)} == {first.entity_id}
    async with sessions() as session:
        a, e = models.Account, models.OutboxEvent
        rows = list(await session.scalars(scoped(select(a), a, scope)))
        events = list(await session.scalars(scoped(select(e), e, scope).order_by(e.id)))
    assert [(r.id, r.employees, r.zoho_id) for r in rows] == [
        (first.entity_id, 600, "4150868000000624770")]  # fmt: skip
    assert [(ev.topic, ev.aggregate_id, ev.sequence) for ev in events] == [
        ("account.created", first.entity_id, 1),
        ("account.updated", first.entity_id, 2),
    ]
    created, updated = (ev.payload["account"] for ev in events)
    assert created["zoho_id"] == updated["zoho_id"] == "4150868000000624770"
    assert (created["zoho_modified_at"], updated["zoho_modified_at"]) == (
        "2026-11-19T08:00:00Z", "2026-11-19T09:00:00Z")  # fmt: skip
    assert updated["employees"] == 600


async def test_concurrent_versions_of_a_record_leave_the_newest(
    sessions: async_sessionmaker[AsyncSession], tenant: str
) -> None:
    scope = Scope(tenant_id=tenant, kind="system")
    apply = applier(sessions, scope)
    await apply(record("crm_contact"))
    versions = [record("crm_contact", later=hour, fields={"Title": f"v{hour}"})
                for hour in range(1, 13)]  # fmt: skip

    outcomes = await asyncio.gather(*(apply(v) for v in reversed(versions)))

    assert Outcome.UPDATED in {o.outcome for o in outcomes}
    async with sessions() as session:
        c = models.Contact
        contact = (await session.scalars(scoped(select(c), c, scope))).one()
    assert (contact.job_title, contact.zoho_modified_at) == ("v12", versions[-1].event_time)
