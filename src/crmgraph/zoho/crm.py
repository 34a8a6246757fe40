"""Zoho CRM's Contacts, Leads, Deals and Accounts upserted into ours on the Zoho id.

Every write is a domain function's (create_*, update_* with its *Changes, delete_*,
move_deal_stage), so the API's rules, row locks and outbox events apply as they do to any
other change. A record not newer than the change we hold (event_time <= zoho_modified_at)
changes nothing, so older and repeated deliveries are harmless."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from sqlalchemy import func, select

from crmgraph.db import models
from crmgraph.db.scoping import scoped
from crmgraph.domain import accounts, contacts, deals, leads, validation
from crmgraph.domain.changes import UNSET
from crmgraph.errors import DomainError
from crmgraph.zoho import crm_fields
from crmgraph.zoho.crm_fields import LEAD_SOURCE, NO_FIRST_NAME, Write, find
from crmgraph.zoho.records import Applied, Outcome
from crmgraph.zoho.values import utc, with_zoho

Row = models.Contact | models.Lead | models.Deal | models.Account


@dataclass(frozen=True)
class Kind:
    """How one Zoho CRM module maps onto one of our entities."""

    entity: str
    model: type[Any]  # one of Row's classes
    read: Callable[[Write], Awaitable[dict[str, Any]]]
    create: Callable[[Write, dict[str, Any]], Awaitable[Row]]
    update: Callable[[Write, Any, dict[str, Any]], Awaitable[object]]
    delete: Callable[[Write, UUID], Awaitable[UUID]]


def required(w: Write, values: dict[str, Any], name: str, zoho_field: str) -> None:
    """A create without a value the entity cannot exist without fails the record."""
    if values.get(name) in (None, UNSET):
        module = w.record.zoho_module
        raise validation.invalid(
            zoho_field, f"Zoho {module} record {w.record.record_id} has no valid {zoho_field}"
        )


def zoho_ids(w: Write) -> dict[str, Any]:
    return {"zoho_id": w.record.record_id, "zoho_modified_at": utc(w.record.event_time)}


async def create_contact(w: Write, values: dict[str, Any]) -> Row:
    required(w, values, "last_name", "Last_Name")
    values.setdefault("first_name", NO_FIRST_NAME)
    data = contacts.NewContact(**values, **zoho_ids(w))
    return await contacts.create_contact(w.session, scope=w.scope, data=data)


async def create_lead(w: Write, values: dict[str, Any]) -> Row:
    required(w, values, "last_name", "Last_Name")
    required(w, values, "email", "Email")
    values.setdefault("first_name", NO_FIRST_NAME)
    values.setdefault("source", LEAD_SOURCE)
    data = leads.NewLead(**values, **zoho_ids(w))
    return await leads.create_lead(w.session, scope=w.scope, data=data)


async def update_lead(w: Write, row: models.Lead, values: dict[str, Any]) -> object:
    if "status" in values and row.status == "CONVERTED":
        w.reader.drop("Lead_Status", "a converted lead keeps its status")
        del values["status"]
        values["custom_fields"] = with_zoho(row.custom_fields, w.reader.kept())
    changes = leads.LeadChanges(**values)
    return await leads.update_lead(w.session, scope=w.scope, lead_id=row.id, changes=changes)


async def create_deal(w: Write, values: dict[str, Any]) -> Row:
    """Into the tenant's oldest pipeline, at the stage named like Zoho's Stage (else its
    first stage)."""
    required(w, values, "title", "Deal_Name")
    values.setdefault("value", 0)
    try:
        data = deals.NewDeal(**values, **zoho_ids(w))
        return await deals.create_deal(w.session, scope=w.scope, data=data)
    except DomainError as exc:
        if exc.field != "stage":
            raise
        refused = exc.message
    # create_deal refuses an unknown stage before it writes anything: again without it.
    w.reader.drop("Stage", refused)
    values.pop("stage")
    values["custom_fields"] = with_zoho(None, w.reader.kept())
    data = deals.NewDeal(**values, **zoho_ids(w))
    return await deals.create_deal(w.session, scope=w.scope, data=data)


async def update_deal(w: Write, row: models.Deal, values: dict[str, Any]) -> object:
    """A new Stage moves the deal (move_deal_stage keeps its history)."""
    stage = None
    name = values.pop("stage", None)
    if name is not None:
        st = models.PipelineStage
        stmt = scoped(select(st), st, w.scope).where(
            st.pipeline_id == row.pipeline_id, func.lower(st.name) == name.casefold()
        )
        stage = await w.session.scalar(stmt)
        if stage is None:
            w.reader.drop("Stage", f"no stage named {name!r} in the deal's pipeline")
            values["custom_fields"] = with_zoho(row.custom_fields, w.reader.kept())
    # Moved first: the move sets the stage's probability, Zoho's own Probability then wins.
    if stage is not None and stage.id != row.stage_id:
        await deals.move_deal_stage(w.session, scope=w.scope, deal_id=row.id,
                                    stage_id=stage.id, reason="Zoho CRM")  # fmt: skip
    changes = deals.DealChanges(**values)
    return await deals.update_deal(w.session, scope=w.scope, deal_id=row.id, changes=changes)


async def create_account(w: Write, values: dict[str, Any]) -> Row:
    required(w, values, "name", "Account_Name")
    data = accounts.NewAccount(**values, **zoho_ids(w))
    return await accounts.create_account(w.session, scope=w.scope, data=data)


Update = Callable[[Write, Any, dict[str, Any]], Awaitable[object]]
Delete = Callable[[Write, UUID], Awaitable[UUID]]


def updater(
    update: Callable[..., Awaitable[object]], key: str, changes: Callable[..., object]
) -> Update:
    """A domain update_* (its id named key) called with the values as its change set."""
    return lambda w, row, v: update(w.session, scope=w.scope, changes=changes(**v),
                                    **{key: row.id})  # fmt: skip


def deleter(delete: Callable[..., Awaitable[UUID]], key: str) -> Delete:
    """A domain delete_* (its id named key)."""
    return lambda w, id_: delete(w.session, scope=w.scope, **{key: id_})


KINDS: dict[str, Kind] = {
    "contacts": Kind("contact", models.Contact, crm_fields.contact_values, create_contact,
                     updater(contacts.update_contact, "contact_id", contacts.ContactChanges),
                     deleter(contacts.delete_contact, "contact_id")),
    "leads": Kind("lead", models.Lead, crm_fields.lead_values, create_lead, update_lead,
                  deleter(leads.delete_lead, "lead_id")),
    "deals": Kind("deal", models.Deal, crm_fields.deal_values, create_deal, update_deal,
                  deleter(deals.delete_deal, "deal_id")),
    "accounts": Kind("account", models.Account, crm_fields.account_values, create_account,
                     updater(accounts.update_account, "account_id", accounts.AccountChanges),
                     deleter(accounts.delete_account, "account_id")),
}  # fmt: skip


async def upsert(w: Write, kind: Kind) -> Applied:
    """Create, update or delete the entity mirroring the record (see the module's doc)."""
    record = w.record
    if not record.record_id:
        raise validation.invalid("record_id", f"a Zoho {record.zoho_module} record needs an id")
    when = utc(record.event_time)
    row = await find(w.session, w.scope, kind.model, record.record_id)
    if row is not None and row.zoho_modified_at is not None and when <= row.zoho_modified_at:
        return Applied(outcome=Outcome.SKIPPED_OLDER, entity_type=kind.entity, entity_id=row.id)
    if record.operation == "delete":
        if row is None:
            return Applied(outcome=Outcome.SKIPPED_UNKNOWN, entity_type=kind.entity,
                           entity_id=None)  # fmt: skip
        await kind.delete(w, row.id)
        return Applied(outcome=Outcome.DELETED, entity_type=kind.entity, entity_id=row.id)
    w.reader.used.add("id")
    values = {k: v for k, v in (await kind.read(w)).items() if v is not UNSET}
    # Recomputed by a kind that drops a field later (an unknown stage), so it is kept too.
    values["custom_fields"] = with_zoho(None if row is None else row.custom_fields, w.reader.kept())
    if row is None:
        created = await kind.create(w, values)
        outcome, entity_id = Outcome.CREATED, created.id
    else:
        # Flushed first: the update reads the row afresh, and its event carries the time.
        row.zoho_modified_at = when
        await w.session.flush()
        await kind.update(w, row, values)
        outcome, entity_id = Outcome.UPDATED, row.id
    return Applied(outcome=outcome, entity_type=kind.entity, entity_id=entity_id,
                   dropped=tuple(w.reader.dropped))  # fmt: skip
