"""Tenancy in one place: every statement on tenant-owned rows is filtered here (scoped,
tenant_filter, get_scoped), every comparison of a tenant id with a caller is made here
(same_tenant), and every row a write reads in order to change it is locked here
(get_scoped). tests/unit/db/test_tenant_filters.py fails on a tenant filter written by hand
anywhere else."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any, TypeVar, TypeVarTuple
from uuid import UUID

from sqlalchemy import ColumnElement, Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from crmgraph.db.models import (
    HealthWeights,
    LeadScoreExplanation,
    LeadScoringRules,
    OutboxEvent,
    TenantRole,
    TenantRow,
)
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


# The mapped classes with a tenant_id column.
Tenanted = (
    TenantRow | OutboxEvent | TenantRole | HealthWeights | LeadScoringRules | LeadScoreExplanation
)


def tenant_of(scope: Scope | str) -> str:
    """The tenant id of a scope, or the id itself (code that has no caller: the relay, SSE
    replay, demo data, authentication before a scope exists)."""
    return scope if isinstance(scope, str) else scope.tenant_id


def tenant_filter(model: type[Tenanted], scope: Scope | str) -> ColumnElement[bool]:
    """The WHERE condition that keeps a statement inside the tenant."""
    return model.tenant_id == tenant_of(scope)


def same_tenant(tenant_id: str | None, scope: Scope | str) -> bool:
    """Whether a row or event that says tenant_id belongs to the scope's tenant."""
    return tenant_id is not None and tenant_id == tenant_of(scope)


def scoped(stmt: Select[*Ts], model: type[Tenanted], scope: Scope | str) -> Select[*Ts]:
    return stmt.where(tenant_filter(model, scope))


async def get_scoped(
    session: AsyncSession,
    model: type[M],
    id_: UUID,
    *,
    scope: Scope,
    field: str = "id",
    lock: bool = True,
) -> M:
    """The row of this tenant with that id, or NOT_FOUND naming the input field.

    Writes read what they change here, so it is read afresh (never an identity-map copy) and
    locked until the transaction ends: SELECT ... FOR UPDATE on PostgreSQL, so a concurrent
    write of the same row waits, then reads what the first one committed. SQLite ignores
    FOR UPDATE; there a write transaction takes the database's one write lock when it begins
    (crmgraph.db.engine), which serialises writers the same way.

    lock=False for a row the write only names (a deal's contactId): locking it too would
    deadlock against a delete of that row, which locks it and then its children."""
    stmt = scoped(select(model).where(model.id == id_), model, scope)
    if lock:
        stmt = stmt.with_for_update()
    row = await session.scalar(stmt.execution_options(populate_existing=True))
    if row is None:
        raise DomainError(ErrorCode.NOT_FOUND, f"{model.__name__} {id_} not found", field=field)
    return row


async def rows_by_id(
    session: AsyncSession, model: type[M], ids: Collection[UUID], *, scope: Scope
) -> dict[UUID, M]:
    """The tenant's rows among ids, by id, in one statement and without a lock: for rows a
    write reads but does not change (a deal's stages)."""
    stmt: Select[Any] = scoped(select(model).where(model.id.in_(set(ids))), model, scope)
    return {row.id: row for row in await session.scalars(stmt)}


def tenant_sql(alias: str, param: str) -> str:
    """The SQL text form of tenant_filter, for statements written as text (crmgraph.compiled):
    `alias.tenant_id = param`, param a placeholder bound to the caller's tenant."""
    return f"{alias}.tenant_id = {param}"
