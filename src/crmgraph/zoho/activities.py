"""Zoho records that are not CRM contacts, leads, deals or accounts, recorded as
communications (crmgraph.domain.activities.log_communication, so activity.created fires):

- a Desk ticket event: a support communication on the ticket's contact (by its email, or
  by the CRM contact id Desk carries), else on its account (by Zoho id or name);
- anything else (Books, Projects, People, Expense, Campaigns, Cliq, Analytics, other CRM
  modules, Desk's other events): a NOTE on the contact whose email the record names, else
  on the account it names, else on no entity (the tenant's feed).

Each event is one communication (a ticket's update is a new one), timed at the event."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from uuid import UUID

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from crmgraph.db import models
from crmgraph.db.scoping import Scope, scoped
from crmgraph.domain import activities
from crmgraph.domain.activities import RelatedRef
from crmgraph.zoho.crm_fields import account_by_name, find
from crmgraph.zoho.records import Applied, Outcome, ZohoRecord
from crmgraph.zoho.values import utc

# Desk's ticket channels as our communication types; others are NOTE.
CHANNELS = {"email": "EMAIL", "phone": "CALL", "chat": "CHAT", "sms": "SMS"}
ACCOUNT_NAME_KEYS = ("account_name", "accountname", "customer_name", "company_name")
MAX_CONTENT = 20_000
# How a ticket's communication subject begins (customer health counts these as support).
TICKET_SUBJECT = "Ticket #"
PRODUCTS = {"crm": "CRM", "desk": "Desk", "books": "Books", "projects": "Projects",
            "people": "People", "expense": "Expense", "campaigns": "Campaigns",
            "cliq": "Cliq", "analytics": "Analytics"}  # fmt: skip


def is_ticket(record: ZohoRecord) -> bool:
    return record.module == "desk" and (record.zoho_module or "").lower().startswith("ticket")


async def record_activity(session: AsyncSession, scope: Scope, record: ZohoRecord) -> Applied:
    """The record as one communication on the entity it is about (see the module's doc)."""
    if is_ticket(record):
        contact, account = await ticket_party(session, scope, record.fields)
        data = ticket_communication(record)
    else:
        contact, account = await named_party(session, scope, record.fields)
        data = note(record)
    related = None
    if contact is not None:
        related = RelatedRef(type="CONTACT", id=contact)
    elif account is not None:
        related = RelatedRef(type="ACCOUNT", id=account)
    communication = await activities.log_communication(
        session,
        scope=scope,
        data=activities.NewCommunication(
            **data,
            participant_ids=() if contact is None else (contact,),
            related_to=related,
            timestamp=utc(record.event_time),
        ),
    )
    return Applied(outcome=Outcome.RECORDED_AS_ACTIVITY, entity_type="communication",
                   entity_id=communication.id)  # fmt: skip


def ticket_communication(record: ZohoRecord) -> dict[str, Any]:
    f = record.fields
    number = f.get("ticketNumber") or record.record_id or "?"
    verb = {"create": "opened", "update": "updated", "delete": "deleted"}.get(
        record.operation, record.operation
    )
    lines = [f"Zoho Desk ticket #{number} {verb}."]
    lines += [f"{label}: {f[key]}" for key, label in (("status", "Status"),
              ("priority", "Priority"), ("channel", "Channel")) if f.get(key)]  # fmt: skip
    if f.get("description"):
        lines += ["", str(f["description"])]
    return {
        "type": CHANNELS.get(str(f.get("channel") or "").lower(), "NOTE"),
        "direction": "INBOUND",
        "subject": f"{TICKET_SUBJECT}{number}: {f.get('subject') or '(no subject)'}"[:500],
        "content": "\n".join(lines)[:MAX_CONTENT],
    }


def note(record: ZohoRecord) -> dict[str, Any]:
    what = record.zoho_module or "record"
    product = PRODUCTS.get(record.module, record.module)
    subject = f"Zoho {product}: {what} {record.record_id or ''}".strip()
    lines = [f"{subject} {record.operation}."]
    lines += [f"{key}: {plain(value)}" for key, value in sorted(record.fields.items())
              if value not in (None, "", [], {})]  # fmt: skip
    return {
        "type": "NOTE",
        "direction": "INBOUND",
        "subject": f"{subject} {record.operation}"[:500],
        "content": "\n".join(lines)[:MAX_CONTENT],
    }


def obj(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def plain(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, default=str, sort_keys=True)


async def ticket_party(
    session: AsyncSession, scope: Scope, f: dict[str, Any]
) -> tuple[UUID | None, UUID | None]:
    """The ticket's contact and account: by the contact's email, the CRM contact id Desk
    carries (contact.zohoCRMContact.id) or its contactId; the account by its id or name."""
    person = obj(f.get("contact"))
    crm = obj(person.get("zohoCRMContact"))
    for email in (f.get("email"), person.get("email")):
        if isinstance(email, str) and (found := await contact_by_email(session, scope, email)):
            return found, None
    for zoho_id in (crm.get("id"), f.get("contactId"), person.get("id")):
        if zoho_id and (row := await find(session, scope, models.Contact, str(zoho_id),
                                          lock=False)):  # fmt: skip
            return row.id, None
    company = obj(person.get("account"))
    for zoho_id in (f.get("accountId"), company.get("id")):
        if zoho_id and (acc := await find(session, scope, models.Account, str(zoho_id),
                                          lock=False)):  # fmt: skip
            return None, acc.id
    name = company.get("accountName")
    return None, await account_by_name(session, scope, name) if isinstance(name, str) else None


async def named_party(
    session: AsyncSession, scope: Scope, f: dict[str, Any]
) -> tuple[UUID | None, UUID | None]:
    """The contact whose email the record holds (any field named like *email*, at the top
    or one level down), else the account it names (account, customer or company name)."""
    for email in emails(f):
        if found := await contact_by_email(session, scope, email):
            return found, None
    for key, value in f.items():
        name = value.get("name") if isinstance(value, dict) else value
        if (key.lower() in ACCOUNT_NAME_KEYS and isinstance(name, str)
                and (found := await account_by_name(session, scope, name))):  # fmt: skip
            return None, found
    return None, None


def emails(f: dict[str, Any], depth: int = 0) -> Iterator[str]:
    for key, value in f.items():
        if "email" in key.lower() and isinstance(value, str) and "@" in value:
            yield value
        elif depth == 0:
            items = value if isinstance(value, list) else [value]
            for item in items:
                if isinstance(item, dict):
                    yield from emails(item, depth + 1)


async def contact_by_email(session: AsyncSession, scope: Scope, email: str) -> UUID | None:
    c = models.Contact
    stmt = scoped(select(c.id), c, scope).where(func.lower(c.email) == email.strip().lower())
    return await session.scalar(stmt.order_by(c.created_at, c.id).limit(1))
