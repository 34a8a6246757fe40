"""Contacts: people at accounts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Select, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from crmgraph.db import models
from crmgraph.db.filtering import Filter, predicates
from crmgraph.db.scoping import Scope, get_scoped, tenant_filter, visible
from crmgraph.domain import validation
from crmgraph.domain.changes import UNSET, Maybe, Rule, apply_changes, sent
from crmgraph.events import outbox, payloads


@dataclass(frozen=True, kw_only=True)
class NewContact:
    first_name: str
    last_name: str
    email: str | None = None
    phone: str | None = None
    company: str | None = None
    job_title: str | None = None
    account_id: UUID | None = None
    address: dict[str, Any] | None = None
    custom_fields: dict[str, Any] | None = None
    # The Zoho record mirrored (crmgraph.zoho.mapping); None for entities made here.
    zoho_id: str | None = None
    zoho_modified_at: datetime | None = None


@dataclass(frozen=True, kw_only=True)
class ContactChanges:
    """A partial update (crmgraph.domain.changes): UNSET keeps a field, None clears it."""

    first_name: Maybe[str] = UNSET
    last_name: Maybe[str] = UNSET
    email: Maybe[str | None] = UNSET
    phone: Maybe[str | None] = UNSET
    company: Maybe[str | None] = UNSET
    job_title: Maybe[str | None] = UNSET
    account_id: Maybe[UUID | None] = UNSET
    address: Maybe[dict[str, Any] | None] = UNSET
    custom_fields: Maybe[dict[str, Any] | None] = UNSET


RULES: dict[str, Rule] = {
    "first_name": lambda v: validation.required_text(v, field="firstName", max_length=100),
    "last_name": lambda v: validation.required_text(v, field="lastName", max_length=100),
    "email": validation.optional_email,
}


async def create_contact(
    session: AsyncSession, *, scope: Scope, data: NewContact
) -> models.Contact:
    """Without a company, a contact at an account takes the account's name."""
    company = data.company
    if data.account_id is not None:
        account = await get_scoped(
            session, models.Account, data.account_id, scope=scope, field="accountId", lock=False
        )
        company = company or account.name
    contact = models.Contact(
        tenant_id=scope.tenant_id,
        phone=data.phone,
        company=company,
        job_title=data.job_title,
        account_id=data.account_id,
        address=data.address,
        custom_fields=data.custom_fields,
        owner_id=scope.user_id,
        zoho_id=data.zoho_id,
        zoho_modified_at=data.zoho_modified_at,
    )
    apply_changes(
        contact,
        {"first_name": data.first_name, "last_name": data.last_name, "email": data.email},
        RULES,
    )
    session.add(contact)
    await outbox.record(session, scope=scope, event=payloads.ContactCreated, row=contact)
    return contact


async def update_contact(
    session: AsyncSession, *, scope: Scope, contact_id: UUID, changes: ContactChanges
) -> models.Contact:
    contact = await get_scoped(session, models.Contact, contact_id, scope=scope)
    values = sent(changes)
    if values.get("account_id") is not None:
        await get_scoped(session, models.Account, values["account_id"], scope=scope,
                         field="accountId", lock=False)  # fmt: skip
    apply_changes(contact, values, RULES)
    await outbox.record(session, scope=scope, event=payloads.ContactUpdated, row=contact)
    return contact


async def delete_contact(session: AsyncSession, *, scope: Scope, contact_id: UUID) -> UUID:
    """Deals with the contact stay, without a contact."""
    contact = await get_scoped(session, models.Contact, contact_id, scope=scope)
    await outbox.record(session, scope=scope, event=payloads.ContactDeleted, row=contact)
    await session.execute(
        update(models.Deal)
        .where(tenant_filter(models.Deal, scope), models.Deal.contact_id == contact_id)
        .values(contact_id=None)
    )
    await session.execute(
        update(models.Lead)
        .where(tenant_filter(models.Lead, scope),
               models.Lead.converted_contact_id == contact_id)
        .values(converted_contact_id=None)
    )  # fmt: skip
    await session.delete(contact)
    return contact_id


#: A search is a few words, each three LIKEs over the tenant's contacts: unbounded, a query
#: of 20,000 words (a fuzzer's long string) held the contacts subgraph past the router's
#: 10 s timeout, and longer ones passed asyncpg's 32,767 parameters (an internal error).
MAX_SEARCH_LENGTH = 200
MAX_SEARCH_WORDS = 10


def search_words(query: str) -> list[str]:
    """The words of a search query, or VALIDATION_ERROR (field `query`) for an empty one, one
    longer than MAX_SEARCH_LENGTH characters or of more than MAX_SEARCH_WORDS words."""
    words = validation.required_text(query, field="query", max_length=MAX_SEARCH_LENGTH).split()
    if len(words) > MAX_SEARCH_WORDS:
        raise validation.invalid("query", f"query has more than {MAX_SEARCH_WORDS} words")
    return [word.lower() for word in words]


def search_statement(scope: Scope, query: str, spec: Filter) -> Select[models.Contact]:
    """Contacts whose first, last or full name, email or company contains every word of
    query (ignoring case), best-known first: by last name, first name."""
    c = models.Contact
    stmt = visible(select(c), c, scope).where(*predicates(c, spec, scope))
    full_name = func.lower(c.first_name + " " + c.last_name)
    for word in search_words(query):
        pattern = "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        stmt = stmt.where(
            or_(
                full_name.like(pattern, escape="\\"),
                func.lower(func.coalesce(c.email, "")).like(pattern, escape="\\"),
                func.lower(func.coalesce(c.company, "")).like(pattern, escape="\\"),
            )
        )
    return stmt.order_by(c.last_name, c.first_name, c.id)


async def search_contacts(
    session: AsyncSession, *, scope: Scope, query: str, spec: Filter, limit: int
) -> list[models.Contact]:
    return list(await session.scalars(search_statement(scope, query, spec).limit(limit)))


def full_name(first_name: str, last_name: str) -> str:
    return f"{first_name} {last_name}".strip()
