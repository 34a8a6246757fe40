"""Zoho CRM's fields read into the values of our Contacts, Leads, Deals and Accounts (the
table is in crmgraph.zoho.mapping's docstring). Each value goes through the domain's own
rule, so what the API refuses is refused here too (and dropped, see Reader)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar
from uuid import UUID

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from crmgraph.db import models
from crmgraph.db.scoping import Scope, scoped
from crmgraph.domain import accounts, contacts, deals, leads, validation
from crmgraph.domain.changes import Rule
from crmgraph.zoho.records import ZohoRecord
from crmgraph.zoho.values import Reader, day, integer, money, text

M = TypeVar("M", models.Contact, models.Lead, models.Deal, models.Account)

# Zoho CRM's standard Lead_Status picklist values, as our lead statuses.
LEAD_STATUSES = {
    "not contacted": "NEW",
    "attempted to contact": "CONTACTED",
    "contact in future": "CONTACTED",
    "contacted": "CONTACTED",
    "pre-qualified": "QUALIFIED",
    "qualified": "QUALIFIED",
    "not qualified": "UNQUALIFIED",
    "junk lead": "UNQUALIFIED",
    "lost lead": "UNQUALIFIED",
}
NO_FIRST_NAME = "-"  # Zoho's First_Name is optional, ours is required
LEAD_SOURCE = "Zoho CRM"  # a lead's source when Zoho's Lead_Source is empty


@dataclass
class Write:
    """One record being applied: where, as whom, what, and what was read of it."""

    session: AsyncSession
    scope: Scope
    record: ZohoRecord
    reader: Reader


async def find(
    session: AsyncSession, scope: Scope, model: type[M], zoho_id: str, *, lock: bool = True
) -> M | None:
    """The tenant's row mirroring Zoho record zoho_id; locked (as get_scoped locks) when
    the write is about it, so concurrent records of one id apply one after the other."""
    stmt = scoped(select(model).where(model.zoho_id == zoho_id), model, scope)
    if lock:
        stmt = stmt.with_for_update()
    return await session.scalar(stmt.execution_options(populate_existing=True))


def fits(limit: int, field: str) -> Rule:
    """Text no longer than its column (for columns the domain has no rule for)."""

    def check(value: str) -> str:
        if len(value) > limit:
            raise validation.invalid(field, f"{field} is longer than {limit} characters")
        return value

    return check


def first_name(r: Reader) -> Any:
    value = r.value("First_Name", text, contacts.RULES["first_name"])
    return NO_FIRST_NAME if value is None else value


async def account_ref(w: Write, field: str) -> Any:
    """Our account for a lookup ({"name", "id"}) by its Zoho id. One we do not have yet is
    created from the lookup's name, without zoho_modified_at, so the account's own record
    fills it in whenever it comes. A plain name (what workflow webhooks send) links the
    account of that name, if there is one."""
    raw = w.reader.fields.get(field)
    if isinstance(raw, str) and raw.strip():
        found = await account_by_name(w.session, w.scope, w.reader.raw(field))
        return w.reader.drop(field, f"no account named {raw!r}") if found is None else found
    zoho_id = w.reader.lookup(field)
    if not isinstance(zoho_id, str):
        return zoho_id
    if zoho_id == w.record.record_id:
        return w.reader.drop(field, f"{field} names the record itself")
    account = await find(w.session, w.scope, models.Account, zoho_id, lock=False)
    if account is None:
        name = str(w.reader.fields[field].get("name") or "").strip()[:300]
        data = accounts.NewAccount(name=name or f"Zoho account {zoho_id}", zoho_id=zoho_id)
        account = await accounts.create_account(w.session, scope=w.scope, data=data)
    return account.id


async def contact_ref(w: Write, field: str) -> Any:
    """Our contact for a lookup by its Zoho id; one we do not have is dropped (a contact
    needs more than a lookup's name)."""
    zoho_id = w.reader.lookup(field)
    if not isinstance(zoho_id, str):
        return zoho_id
    contact = await find(w.session, w.scope, models.Contact, zoho_id, lock=False)
    if contact is None:
        return w.reader.drop(field, f"no contact with Zoho id {zoho_id} yet")
    return contact.id


async def account_by_name(session: AsyncSession, scope: Scope, name: str) -> UUID | None:
    """The tenant's (oldest) account of that name, ignoring letter case."""
    a = models.Account
    stmt = scoped(select(a.id), a, scope).where(func.lower(a.name) == name.strip().lower())
    return await session.scalar(stmt.order_by(a.created_at, a.id).limit(1))


async def contact_values(w: Write) -> dict[str, Any]:
    r = w.reader
    return {
        "first_name": first_name(r),
        "last_name": r.value("Last_Name", text, contacts.RULES["last_name"], nullable=False),
        "email": r.value("Email", text, contacts.RULES["email"]),
        "phone": r.value("Phone", text, fits(50, "Phone")),
        "job_title": r.value("Title", text, fits(200, "Title")),
        "account_id": await account_ref(w, "Account_Name"),
        "address": r.address("Mailing"),
    }


def lead_status(value: Any) -> str:
    status = LEAD_STATUSES.get(text(value).casefold())
    if status is None:
        raise validation.invalid("Lead_Status", f"no lead status for {value!r}")
    return status


async def lead_values(w: Write) -> dict[str, Any]:
    r = w.reader
    source = r.value("Lead_Source", text, leads.RULES["source"])
    return {
        "first_name": first_name(r),
        "last_name": r.value("Last_Name", text, leads.RULES["last_name"], nullable=False),
        "email": r.value("Email", text, leads.RULES["email"], nullable=False),
        "source": LEAD_SOURCE if source is None else source,
        "phone": r.value("Phone", text, fits(50, "Phone")),
        "company": r.value("Company", text, fits(300, "Company")),
        "job_title": r.value("Designation", text, fits(200, "Designation")),
        "status": r.value("Lead_Status", lead_status, nullable=False),
    }


async def deal_values(w: Write) -> dict[str, Any]:
    r = w.reader
    value = r.value("Amount", money, deals.RULES["value"])
    return {
        "title": r.value("Deal_Name", text, deals.RULES["title"], nullable=False),
        "value": 0 if value is None else value,
        "currency": r.value("Currency", text, deals.RULES["currency"], nullable=False),
        "probability": r.value("Probability", integer, deals.RULES["probability"], nullable=False),
        "expected_close_date": r.value("Closing_Date", day),
        "description": r.value("Description", text),
        "contact_id": await contact_ref(w, "Contact_Name"),
        "account_id": await account_ref(w, "Account_Name"),
        "stage": r.value("Stage", text, nullable=False),
    }


def account_type(value: Any) -> str:
    kind = text(value).upper()
    return kind if kind in accounts.ACCOUNT_TYPES else "OTHER"


async def account_values(w: Write) -> dict[str, Any]:
    r = w.reader
    return {
        "name": r.value("Account_Name", text, accounts.RULES["name"], nullable=False),
        "website": r.value("Website", text, fits(500, "Website")),
        "industry": r.value("Industry", text, fits(100, "Industry")),
        "employees": r.value("Employees", integer, accounts.RULES["employees"]),
        "annual_revenue": r.value("Annual_Revenue", money, accounts.RULES["annual_revenue"]),
        "type": r.value("Account_Type", account_type, nullable=False),
        "parent_account_id": await account_ref(w, "Parent_Account"),
        "address": r.address("Billing"),
    }
