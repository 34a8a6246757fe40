"""Contacts: people at accounts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from crmgraph.db import models
from crmgraph.db.scoping import Scope, get_scoped
from crmgraph.domain import validation
from crmgraph.events import outbox


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


async def create_contact(
    session: AsyncSession, *, scope: Scope, data: NewContact
) -> models.Contact:
    company = data.company
    if data.account_id is not None:
        account = await get_scoped(
            session, models.Account, data.account_id, scope=scope, field="accountId"
        )
        company = company or account.name
    contact = models.Contact(
        tenant_id=scope.tenant_id,
        first_name=validation.required_text(data.first_name, field="firstName", max_length=100),
        last_name=validation.required_text(data.last_name, field="lastName", max_length=100),
        email=validation.optional_email(data.email),
        phone=data.phone,
        company=company,
        job_title=data.job_title,
        account_id=data.account_id,
        address=data.address,
        custom_fields=data.custom_fields,
        owner_id=scope.user_id,
    )
    session.add(contact)
    await outbox.record(session, scope=scope, topic="contact.created", row=contact)
    return contact


def full_name(first_name: str, last_name: str) -> str:
    return f"{first_name} {last_name}".strip()
