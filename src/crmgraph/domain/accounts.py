"""Accounts: customer companies, arranged in parent/child hierarchies."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from crmgraph.db import models
from crmgraph.db.scoping import Scope, get_scoped
from crmgraph.domain import validation
from crmgraph.events import outbox

ACCOUNT_TYPES = ("PROSPECT", "CUSTOMER", "PARTNER", "VENDOR", "COMPETITOR", "OTHER")


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


async def create_account(
    session: AsyncSession, *, scope: Scope, data: NewAccount
) -> models.Account:
    if data.parent_account_id is not None:
        await get_scoped(
            session, models.Account, data.parent_account_id, scope=scope, field="parentAccountId"
        )
    if data.employees is not None and data.employees < 0:
        raise validation.invalid("employees", "employees must not be negative")
    if data.type not in ACCOUNT_TYPES:
        raise validation.invalid("type", f"type must be one of {', '.join(ACCOUNT_TYPES)}")
    account = models.Account(
        tenant_id=scope.tenant_id,
        name=validation.required_text(data.name, field="name"),
        website=data.website,
        industry=data.industry,
        employees=data.employees,
        annual_revenue=(
            None
            if data.annual_revenue is None
            else validation.non_negative_money(data.annual_revenue, field="annualRevenue")
        ),
        type=data.type,
        parent_account_id=data.parent_account_id,
        address=data.address,
        custom_fields=data.custom_fields,
        owner_id=scope.user_id,
    )
    session.add(account)
    await outbox.record(session, scope=scope, topic="account.created", row=account)
    return account
