"""Zoho records other than CRM contacts, leads, deals and accounts become communications
(crmgraph.zoho.activities): Desk tickets on the ticket's contact or account, other modules
as notes on whatever contact or account they name, else on none."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from crmgraph.db import models
from crmgraph.db.scoping import Scope, scoped
from crmgraph.domain import accounts, contacts
from crmgraph.zoho.mapping import Outcome, apply_record
from tests.zoho_records import record


@pytest.fixture
def scope(tenant: str) -> Scope:
    return Scope(tenant_id=tenant, kind="system")


async def communication(session: AsyncSession, scope: Scope) -> models.Communication:
    c = models.Communication
    return (await session.scalars(scoped(select(c), c, scope))).one()


@pytest.fixture
async def theresa(session: AsyncSession, scope: Scope) -> models.Contact:
    """The contact the fixtures' ticket and invoice name, by email (in other letter case)."""
    data = contacts.NewContact(first_name="Theresa", last_name="Rodriguez",
                               email="Theresa.Rodriguez@zylker.com")  # fmt: skip
    return await contacts.create_contact(session, scope=scope, data=data)


async def test_a_desk_ticket_is_a_support_communication_on_its_contact(
    session: AsyncSession, scope: Scope, theresa: models.Contact
) -> None:
    contact = theresa
    applied = await apply_record(session, scope, record("desk_ticket"))

    row = await communication(session, scope)
    assert (applied.outcome, applied.entity_type, applied.entity_id) == (
        Outcome.RECORDED_AS_ACTIVITY, "communication", row.id)  # fmt: skip
    assert (row.type, row.direction, row.related_type, row.related_id) == (
        "EMAIL", "INBOUND", "CONTACT", contact.id)  # fmt: skip
    assert row.participant_ids == [str(contact.id)]
    assert row.subject == "Ticket #101: Charging port faulty"
    assert row.content.startswith("Zoho Desk ticket #101 opened.\nStatus: Open")
    assert "stopped working" in row.content
    assert row.occurred_at.isoformat() == "2026-11-22T12:00:00+00:00"
    e = models.OutboxEvent
    assert list(await session.scalars(scoped(select(e.topic), e, scope))) == [
        "contact.created", "activity.created"]  # fmt: skip


async def test_a_ticket_finds_its_contact_by_the_crm_contact_id(
    session: AsyncSession, scope: Scope
) -> None:
    synced = await apply_record(session, scope, record("crm_contact", fields={"Email": None}))

    await apply_record(session, scope, record("desk_ticket", fields={"email": "x@other.example"}))

    row = await communication(session, scope)
    assert (row.related_type, row.related_id) == ("CONTACT", synced.entity_id)


async def test_a_ticket_without_a_known_contact_goes_to_its_account(
    session: AsyncSession, scope: Scope
) -> None:
    account = await accounts.create_account(
        session, scope=scope, data=accounts.NewAccount(name="ZYLKER INC")
    )

    await apply_record(session, scope, record("desk_ticket", operation="update"))

    row = await communication(session, scope)
    assert (row.related_type, row.related_id, row.participant_ids) == (
        "ACCOUNT", account.id, [])  # fmt: skip
    assert row.content.startswith("Zoho Desk ticket #101 updated.")


async def test_a_ticket_of_nobody_we_know_is_tenant_level(
    session: AsyncSession, scope: Scope
) -> None:
    unknown = record("desk_ticket", fields={"contact": None, "channel": "Web"})

    await apply_record(session, scope, unknown)

    row = await communication(session, scope)
    assert (row.type, row.related_type, row.related_id) == ("NOTE", None, None)


async def test_a_books_invoice_is_a_note_on_the_contact_it_names(
    session: AsyncSession, scope: Scope, theresa: models.Contact
) -> None:
    assert (await apply_record(session, scope, record("books_invoice"))).outcome is (
        Outcome.RECORDED_AS_ACTIVITY
    )
    row = await communication(session, scope)
    assert (row.type, row.related_type, row.related_id) == ("NOTE", "CONTACT", theresa.id)
    assert row.subject == "Zoho Books: invoice 982000000567114 create"
    assert "invoice_number: INV-00003" in row.content
    assert "total: 40.6" in row.content


async def test_other_modules_find_the_account_they_name_or_none(
    session: AsyncSession, scope: Scope
) -> None:
    account = await accounts.create_account(
        session, scope=scope, data=accounts.NewAccount(name="Zylker Inc")
    )
    invoice = record("books_invoice", fields={"contact_persons_details": []})
    cliq = record("books_invoice", module="cliq", zoho_module=None, record_id=None,
                  fields={"text": "deploy done", "customer_name": None})  # fmt: skip

    await apply_record(session, scope, invoice)
    await apply_record(session, scope, cliq)

    c = models.Communication
    rows = list(await session.scalars(scoped(select(c), c, scope).order_by(c.subject)))
    assert [(r.subject, r.related_type, r.related_id) for r in rows] == [
        ("Zoho Books: invoice 982000000567114 create", "ACCOUNT", account.id),
        ("Zoho Cliq: record create", None, None),
    ]


async def test_a_crm_module_we_do_not_map_is_recorded_as_a_note(
    session: AsyncSession, scope: Scope
) -> None:
    task = record("crm_contact", zoho_module="Tasks", fields={"Subject": "Call back"})

    applied = await apply_record(session, scope, task)

    assert applied.outcome is Outcome.RECORDED_AS_ACTIVITY
    assert (await communication(session, scope)).subject.startswith("Zoho CRM: Tasks ")
