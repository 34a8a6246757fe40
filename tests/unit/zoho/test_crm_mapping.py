"""Zoho CRM records applied to contacts, leads, deals and accounts (crmgraph.zoho.mapping),
on SQLite: create, update, delete, out-of-order deliveries, unknown fields, refused values
and Account_Name links, each through the domain functions and their outbox events."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from crmgraph.db import models
from crmgraph.db.scoping import Scope, scoped
from crmgraph.errors import DomainError, ErrorCode
from crmgraph.zoho.mapping import Dropped, Outcome, ZohoRecord, apply_record
from tests.factories import make_pipeline
from tests.zoho_records import record


@pytest.fixture
def scope(tenant: str) -> Scope:
    return Scope(tenant_id=tenant, kind="system")


async def topics(session: AsyncSession, scope: Scope) -> list[str]:
    e = models.OutboxEvent
    return list(await session.scalars(scoped(select(e.topic), e, scope).order_by(e.id)))


async def one(session: AsyncSession, scope: Scope, model: Any) -> Any:
    return (await session.scalars(scoped(select(model), model, scope))).one()


async def linked_account(session: AsyncSession, contact_id: UUID | None) -> UUID | None:
    contact = await session.get(models.Contact, contact_id)
    assert contact is not None
    return contact.account_id


async def test_a_contact_record_creates_a_contact(session: AsyncSession, scope: Scope) -> None:
    applied = await apply_record(session, scope, record("crm_contact"))

    contact = await one(session, scope, models.Contact)
    assert (applied.outcome, applied.entity_type, applied.entity_id, applied.dropped) == (
        Outcome.CREATED, "contact", contact.id, ())  # fmt: skip
    assert (contact.first_name, contact.last_name, contact.email, contact.phone,
            contact.job_title) == ("Theresa", "Rodriguez", "theresa.rodriguez@zylker.com",
                                   "555-555-5555", "VP Operations")  # fmt: skip
    assert contact.address == {"street": "350 Fifth Avenue", "city": "Sunnyvale",
                               "state": "CA", "zipCode": "94087",
                               "country": "United States"}  # fmt: skip
    assert contact.zoho_id == "4150868000000624001"
    assert contact.zoho_modified_at.isoformat() == "2026-11-20T10:00:00+00:00"
    assert await topics(session, scope) == ["account.created", "contact.created"]


async def test_unknown_fields_are_kept_under_zoho(session: AsyncSession, scope: Scope) -> None:
    fields = {"Weird": {"nested": [1, {"x": None}]}, "$odd key": [True]}
    await apply_record(session, scope, record("crm_contact", fields=fields))

    kept = (await one(session, scope, models.Contact)).custom_fields["zoho"]
    assert kept["Preferred_Language"] == "Spanish"
    assert kept["Weird"] == {"nested": [1, {"x": None}]} and kept["$odd key"] == [True]
    assert kept["Owner"]["name"] == "Patricia Boyle"
    assert not {"First_Name", "Email", "Mailing_City", "Account_Name", "id"} & set(kept)


async def test_a_newer_update_changes_the_contact(session: AsyncSession, scope: Scope) -> None:
    await apply_record(session, scope, record("crm_contact"))
    newer = record("crm_contact", later=1, operation="update",
                   fields={"Email": "t.r@zylker.com", "Title": None})  # fmt: skip

    applied = await apply_record(session, scope, newer)

    contact = await one(session, scope, models.Contact)
    assert (applied.outcome, applied.entity_id) == (Outcome.UPDATED, contact.id)
    assert (contact.email, contact.job_title) == ("t.r@zylker.com", None)
    assert contact.zoho_modified_at == newer.event_time
    assert (await topics(session, scope))[-1] == "contact.updated"


async def test_an_update_of_an_unknown_id_creates(session: AsyncSession, scope: Scope) -> None:
    applied = await apply_record(session, scope, record("crm_contact", operation="update"))

    assert applied.outcome is Outcome.CREATED
    assert (await one(session, scope, models.Contact)).id == applied.entity_id


async def test_an_older_update_after_a_newer_one_is_skipped(
    session: AsyncSession, scope: Scope
) -> None:
    await apply_record(session, scope, record("crm_contact", later=2, fields={"Title": "CEO"}))
    before = await topics(session, scope)

    older = await apply_record(session, scope, record("crm_contact", later=1,
                                                      fields={"Title": "Intern"}))  # fmt: skip
    again = await apply_record(session, scope, record("crm_contact", later=2,
                                                      fields={"Title": "Intern"}))  # fmt: skip

    assert older.outcome is again.outcome is Outcome.SKIPPED_OLDER
    assert (await one(session, scope, models.Contact)).job_title == "CEO"
    assert await topics(session, scope) == before


async def test_a_delete_removes_the_contact(session: AsyncSession, scope: Scope) -> None:
    created = await apply_record(session, scope, record("crm_contact"))

    applied = await apply_record(session, scope, record("crm_contact", later=1,
                                                        operation="delete", fields={}))  # fmt: skip

    assert (applied.outcome, applied.entity_id) == (Outcome.DELETED, created.entity_id)
    await session.flush()
    assert await session.get(models.Contact, created.entity_id) is None
    assert (await topics(session, scope))[-1] == "contact.deleted"


async def test_deletes_of_unknown_or_older_records_change_nothing(
    session: AsyncSession, scope: Scope
) -> None:
    unknown = await apply_record(session, scope, record("crm_lead", operation="delete"))
    await apply_record(session, scope, record("crm_lead", later=2))
    older = await apply_record(session, scope, record("crm_lead", later=1, operation="delete"))

    assert (unknown.outcome, unknown.entity_id) == (Outcome.SKIPPED_UNKNOWN, None)
    assert older.outcome is Outcome.SKIPPED_OLDER
    assert (await one(session, scope, models.Lead)).zoho_id == "4150868000000592026"


async def test_refused_values_are_dropped_and_kept(session: AsyncSession, scope: Scope) -> None:
    await apply_record(session, scope, record("crm_contact"))
    bad = {"Email": "not-an-email", "Phone": "5" * 60, "First_Name": ["x"], "Title": "CTO"}

    applied = await apply_record(session, scope, record("crm_contact", later=1, fields=bad))

    contact = await one(session, scope, models.Contact)
    assert applied.outcome is Outcome.UPDATED
    assert applied.dropped == (
        Dropped(field="First_Name", reason="First_Name: expected text"),
        Dropped(field="Email", reason="Invalid email format"),
        Dropped(field="Phone", reason="Phone is longer than 50 characters"),
    )
    assert (contact.first_name, contact.email, contact.phone, contact.job_title) == (
        "Theresa", "theresa.rodriguez@zylker.com", "555-555-5555", "CTO")  # fmt: skip
    assert {k: contact.custom_fields["zoho"][k] for k in ("Email", "Phone")} == {
        "Email": "not-an-email", "Phone": "5" * 60}  # fmt: skip


async def test_a_create_without_what_it_needs_fails_and_writes_nothing(
    session: AsyncSession, scope: Scope
) -> None:
    with pytest.raises(DomainError) as refused:
        await apply_record(session, scope, record("crm_lead", fields={"Email": "nope"}))

    assert (refused.value.code, refused.value.field) == (ErrorCode.VALIDATION_ERROR, "Email")
    assert "has no valid Email" in refused.value.message
    assert await topics(session, scope) == []


async def test_a_lead_record_maps_status_source_and_company(
    session: AsyncSession, scope: Scope
) -> None:
    await apply_record(session, scope, record("crm_lead", fields={"Lead_Source": None}))

    lead = await one(session, scope, models.Lead)
    assert (lead.first_name, lead.last_name, lead.email, lead.company, lead.job_title,
            lead.status, lead.source) == ("Kris", "Marrier", "kris.marrier@chapman.example",
                                          "Chapman Brothers", "Buyer", "CONTACTED",
                                          "Zoho CRM")  # fmt: skip
    assert lead.custom_fields["zoho"]["Rating"] == "Hot"


async def test_account_name_links_contacts_and_deals_to_the_account(
    session: AsyncSession, scope: Scope
) -> None:
    await make_pipeline(session, scope)
    account = await apply_record(session, scope, record("crm_account"))
    contact = await apply_record(session, scope, record("crm_contact"))
    deal = await apply_record(session, scope, record("crm_deal"))

    row = await session.get(models.Deal, deal.entity_id)
    assert row is not None and (row.account_id, row.contact_id) == (
        account.entity_id, contact.entity_id)  # fmt: skip
    assert await linked_account(session, contact.entity_id) == account.entity_id
    assert (row.title, row.value, row.currency, row.probability) == (
        "Zylker fleet renewal", Decimal("25005.00"), "EUR", 10)  # fmt: skip
    assert row.expected_close_date == datetime(2027, 1, 31, tzinfo=UTC)


async def test_a_lookup_to_an_account_not_seen_yet_makes_it_and_its_record_fills_it(
    session: AsyncSession, scope: Scope
) -> None:
    contact = await apply_record(session, scope, record("crm_contact"))
    stub = await one(session, scope, models.Account)
    assert (stub.name, stub.zoho_id, stub.zoho_modified_at) == (
        "Zylker Inc", "4150868000000624770", None)  # fmt: skip

    applied = await apply_record(session, scope, record("crm_account"))

    account = await one(session, scope, models.Account)
    assert (applied.outcome, applied.entity_id) == (Outcome.UPDATED, stub.id)
    assert (account.website, account.industry, account.employees, account.type) == (
        "https://www.zylker.com", "Transportation", 540, "CUSTOMER")  # fmt: skip
    assert account.annual_revenue == Decimal("12000000.50")
    assert await linked_account(session, contact.entity_id) == stub.id


def deal_at(stage: str, *, later: float = 0) -> ZohoRecord:
    """The deal record at a stage, without its contact (tested apart)."""
    return record("crm_deal", later=later, fields={"Stage": stage, "Contact_Name": None})


async def test_a_deal_stage_change_moves_the_deal(session: AsyncSession, scope: Scope) -> None:
    _, stages = await make_pipeline(session, scope)
    created = await apply_record(session, scope, deal_at("Qualification"))
    deal = await session.get(models.Deal, created.entity_id)
    assert deal is not None and deal.stage_id == stages["Qualification"].id

    moved = await apply_record(session, scope, deal_at("proposal", later=1))
    unknown = await apply_record(session, scope, deal_at("Needs Analysis", later=2))

    assert moved.outcome is Outcome.UPDATED and moved.dropped == ()
    assert [d.field for d in unknown.dropped] == ["Stage"]
    await session.refresh(deal)
    assert deal.stage_id == stages["Proposal"].id
    assert "deal.stage_changed" in await topics(session, scope)


async def test_a_new_deal_at_a_stage_we_do_not_have_starts_at_the_first(
    session: AsyncSession, scope: Scope
) -> None:
    _, stages = await make_pipeline(session, scope)

    applied = await apply_record(session, scope, deal_at("Needs Analysis"))

    deal = await session.get(models.Deal, applied.entity_id)
    assert deal is not None and deal.stage_id == stages["Lead"].id
    assert [d.field for d in applied.dropped] == ["Stage"]
    assert deal.custom_fields is not None
    assert deal.custom_fields["zoho"]["Stage"] == "Needs Analysis"


WEIRD: list[object] = [["a list"], {"a": "dict"}, True, -5, "x" * 1000, "not a date", 1e308]


@pytest.mark.parametrize("name", ["crm_contact", "crm_lead", "crm_deal", "crm_account"])
async def test_no_value_of_any_field_crashes_the_mapper(
    session: AsyncSession, scope: Scope, name: str
) -> None:
    """Every field of the record, given each odd value: applied with the field dropped, or
    (for what a create cannot do without) a VALIDATION_ERROR naming that field."""
    await make_pipeline(session, scope)
    for field in record(name).fields:
        for value in WEIRD:
            async with session.begin_nested() as savepoint:
                try:
                    await apply_record(session, scope, record(name, fields={field: value}))
                except DomainError as exc:
                    assert exc.code is ErrorCode.VALIDATION_ERROR, (field, value, exc)
                    assert exc.field == field, (field, value, exc)
                await savepoint.rollback()


async def test_a_plain_account_name_links_by_name_and_a_malformed_lookup_is_dropped(
    session: AsyncSession, scope: Scope
) -> None:
    account = await apply_record(session, scope, record("crm_account"))
    by_name = await apply_record(session, scope, record("crm_contact", fields={
        "Account_Name": "zylker inc"}))  # fmt: skip

    malformed = await apply_record(session, scope, record("crm_contact", later=1, fields={
        "Account_Name": {"name": "Zylker Inc"}}))  # fmt: skip

    contact = await one(session, scope, models.Contact)
    assert (by_name.dropped, contact.account_id) == ((), account.entity_id)
    reason = "Account_Name must be a lookup {name, id}"
    assert malformed.dropped == (Dropped(field="Account_Name", reason=reason),)
    assert contact.custom_fields["zoho"]["Account_Name"] == {"name": "Zylker Inc"}


async def test_zoho_probability_wins_over_the_new_stage(
    session: AsyncSession, scope: Scope
) -> None:
    await make_pipeline(session, scope)
    await apply_record(session, scope, deal_at("Qualification"))
    moved = record("crm_deal", later=1, fields={"Stage": "Negotiation", "Probability": 60,
                                                "Contact_Name": None})  # fmt: skip

    applied = await apply_record(session, scope, moved)

    deal = await session.get(models.Deal, applied.entity_id)
    assert deal is not None and deal.probability == 60
