"""Tenancy in one place: every statement on tenant-owned rows goes through scoped()."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TypeVar, TypeVarTuple
from uuid import UUID

from sqlalchemy import Select
from sqlalchemy.ext.asyncio import AsyncSession

from crmgraph.db.models import TenantRow
from crmgraph.errors import DomainError, ErrorCode

Ts = TypeVarTuple("Ts")
M = TypeVar("M", bound=TenantRow)


@dataclass(frozen=True)
class Scope:
    """Who is asking: the tenant every query is filtered by, the acting user or API key, and
    what they may do. Built by crmgraph.auth.authenticate; domain code only reads it."""

    tenant_id: str
    user_id: UUID | None = None
    roles: tuple[str, ...] = ()
    permissions: frozenset[str] = field(default_factory=frozenset)
    subject: str | None = None
    kind: str = "user"  # user | api_key | anonymous | system
    api_key_id: UUID | None = None
    rate_tier: str = "authenticated_user"
    team: str | None = None


def scoped(stmt: Select[*Ts], model: type[TenantRow], scope: Scope) -> Select[*Ts]:
    return stmt.where(model.tenant_id == scope.tenant_id)


async def get_scoped(
    session: AsyncSession, model: type[M], id_: UUID, *, scope: Scope, field: str = "id"
) -> M:
    """The row of this tenant with that id, or NOT_FOUND naming the input field."""
    row = await session.get(model, id_)
    if row is None or row.tenant_id != scope.tenant_id:
        raise DomainError(ErrorCode.NOT_FOUND, f"{model.__name__} {id_} not found", field=field)
    return row
