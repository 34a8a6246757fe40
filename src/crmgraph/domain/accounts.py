"""Accounts: customer companies, arranged in parent/child hierarchies."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from crmgraph.db import models
from crmgraph.db.scoping import Scope, get_scoped, tenant_filter
from crmgraph.domain import validation
from crmgraph.domain.changes import UNSET, Maybe, Rule, apply_changes, sent
from crmgraph.errors import DomainError, ErrorCode
from crmgraph.events import outbox, payloads

ACCOUNT_TYPES = ("PROSPECT", "CUSTOMER", "PARTNER", "VENDOR", "COMPETITOR", "OTHER")
RELATIONSHIP_TYPES = ("PARENT", "SUBSIDIARY", "PARTNER", "RESELLER", "VENDOR", "CUSTOMER",
                      "COMPETITOR", "OTHER")  # fmt: skip


@dataclass(frozen=True, kw_only=True)
class NewAccount:
    name: str
    website: str | None = None
    industry: str | None = None
    employees: int | None = None
    annual_revenue: float | None = None
    type: str = "PROSPECT"
    parent_account_id: UUID | None = None
    address: dict[str, Any] | None = None
    custom_fields: dict[str, Any] | None = None
    # The Zoho record mirrored (crmgraph.zoho.mapping); None for entities made here.
    zoho_id: str | None = None
    zoho_modified_at: datetime | None = None


@dataclass(frozen=True, kw_only=True)
class AccountChanges:
    """A partial update (crmgraph.domain.changes): UNSET keeps a field, None clears it."""

    name: Maybe[str] = UNSET
    website: Maybe[str | None] = UNSET
    industry: Maybe[str | None] = UNSET
    employees: Maybe[int | None] = UNSET
    annual_revenue: Maybe[float | None] = UNSET
    type: Maybe[str] = UNSET
    parent_account_id: Maybe[UUID | None] = UNSET
    address: Maybe[dict[str, Any] | None] = UNSET
    custom_fields: Maybe[dict[str, Any] | None] = UNSET


def _employees(value: int) -> int:
    if value < 0:
        raise validation.invalid("employees", "employees must not be negative")
    return value


def _type(value: str) -> str:
    if value not in ACCOUNT_TYPES:
        raise validation.invalid("type", f"type must be one of {', '.join(ACCOUNT_TYPES)}")
    return value


RULES: dict[str, Rule] = {
    "name": lambda v: validation.required_text(v, field="name"),
    "employees": _employees,
    "type": _type,
    "annual_revenue": lambda v: validation.non_negative_money(v, field="annualRevenue"),
}


async def create_account(
    session: AsyncSession, *, scope: Scope, data: NewAccount
) -> models.Account:
    if data.parent_account_id is not None:
        await get_scoped(session, models.Account, data.parent_account_id, scope=scope,
                         field="parentAccountId", lock=False)  # fmt: skip
    account = models.Account(
        tenant_id=scope.tenant_id,
        website=data.website,
        industry=data.industry,
        parent_account_id=data.parent_account_id,
        address=data.address,
        custom_fields=data.custom_fields,
        owner_id=scope.user_id,
        zoho_id=data.zoho_id,
        zoho_modified_at=data.zoho_modified_at,
    )
    apply_changes(
        account,
        {"name": data.name, "employees": data.employees, "type": data.type,
         "annual_revenue": data.annual_revenue},
        RULES,
    )  # fmt: skip
    session.add(account)
    await outbox.record(session, scope=scope, event=payloads.AccountCreated, row=account)
    return account


async def update_account(
    session: AsyncSession, *, scope: Scope, account_id: UUID, changes: AccountChanges
) -> models.Account:
    account = await get_scoped(session, models.Account, account_id, scope=scope)
    values = sent(changes)
    if values.get("parent_account_id") is not None:
        await _check_parent(session, scope, account.id, values["parent_account_id"])
    apply_changes(account, values, RULES)
    await outbox.record(session, scope=scope, event=payloads.AccountUpdated, row=account)
    return account


async def _check_parent(
    session: AsyncSession,
    scope: Scope,
    account_id: UUID,
    parent_id: UUID,
    field: str = "parentAccountId",
) -> None:
    """The new parent exists and is not the account itself or one of its descendants: else a
    CONFLICT (the hierarchy as it stands forbids it). Checked on the tables, the source of
    truth, not the graph projection, which may lag; each ancestor is read locked (get_scoped),
    so a concurrent re-parenting along the same chain waits for this one, and two that would
    close a loop together deadlock and one is refused (CONFLICT)."""
    seen: set[UUID] = set()
    current: UUID | None = parent_id
    while current is not None:
        if current == account_id:
            raise DomainError(ErrorCode.CONFLICT, "an account cannot be its own ancestor",
                              field=field)  # fmt: skip
        if current in seen:
            break
        seen.add(current)
        parent = await get_scoped(session, models.Account, current, scope=scope,
                                  field="parentAccountId")  # fmt: skip
        current = parent.parent_account_id


async def delete_account(session: AsyncSession, *, scope: Scope, account_id: UUID) -> UUID:
    """Contacts, deals and child accounts of the account stay, unlinked from it."""
    account = await get_scoped(session, models.Account, account_id, scope=scope)
    await outbox.record(session, scope=scope, event=payloads.AccountDeleted, row=account)
    for model, fk in ((models.Contact, models.Contact.account_id),
                      (models.Deal, models.Deal.account_id),
                      (models.Account, models.Account.parent_account_id),
                      (models.Lead, models.Lead.converted_account_id)):  # fmt: skip
        await session.execute(
            update(model)
            .where(tenant_filter(model, scope), fk == account_id)
            .values({fk.key: None})
        )
    rels = models.AccountRelationship
    for row in await session.scalars(
        select(rels).where(
            (rels.account_id == account_id) | (rels.related_account_id == account_id)
        )
    ):
        await session.delete(row)
    await session.delete(account)
    return account_id


# Relationships that say which account is above the other: refused when the hierarchy
# (parentAccountId) has them the other way round.
PARENTAL = ("PARENT", "SUBSIDIARY")


@dataclass(frozen=True, kw_only=True)
class NewRelationship:
    account_id: UUID
    related_account_id: UUID
    relationship_type: str
    description: str | None = None


async def create_account_relationship(
    session: AsyncSession, *, scope: Scope, data: NewRelationship
) -> models.AccountRelationship:
    if data.account_id == data.related_account_id:
        raise validation.invalid("relatedAccountId", "an account cannot be related to itself")
    if data.relationship_type not in RELATIONSHIP_TYPES:
        raise validation.invalid(
            "relationshipType", f"relationshipType must be one of {', '.join(RELATIONSHIP_TYPES)}"
        )
    await get_scoped(session, models.Account, data.account_id, scope=scope, field="accountId",
                     lock=False)  # fmt: skip
    await get_scoped(session, models.Account, data.related_account_id, scope=scope,
                     field="relatedAccountId", lock=False)  # fmt: skip
    if data.relationship_type in PARENTAL:
        # PARENT: the related account is the account's parent; SUBSIDIARY: its child.
        parent, child = data.related_account_id, data.account_id
        if data.relationship_type == "SUBSIDIARY":
            parent, child = child, parent
        await _check_parent(session, scope, child, parent, "relatedAccountId")
    rels = models.AccountRelationship
    existing = await session.scalar(
        select(rels.id).where(
            rels.account_id == data.account_id,
            rels.related_account_id == data.related_account_id,
            rels.relationship_type == data.relationship_type,
        )
    )
    if existing is not None:
        raise DomainError(ErrorCode.CONFLICT, "this relationship exists already",
                          field="relationshipType")  # fmt: skip
    relationship = models.AccountRelationship(
        tenant_id=scope.tenant_id,
        account_id=data.account_id,
        related_account_id=data.related_account_id,
        relationship_type=data.relationship_type,
        description=data.description,
    )
    session.add(relationship)
    await outbox.record(session, scope=scope, event=payloads.AccountRelationshipCreated,
                        row=relationship)  # fmt: skip
    return relationship


async def delete_account_relationship(
    session: AsyncSession, *, scope: Scope, relationship_id: UUID
) -> UUID:
    relationship = await get_scoped(session, models.AccountRelationship, relationship_id,
                                    scope=scope)  # fmt: skip
    await outbox.record(session, scope=scope, event=payloads.AccountRelationshipDeleted,
                        row=relationship)  # fmt: skip
    await session.delete(relationship)
    return relationship_id
