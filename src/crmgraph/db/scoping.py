"""Tenancy in one place: every statement on tenant-owned rows is filtered here (scoped,
tenant_filter, get_scoped), every comparison of a tenant id with a caller is made here
(same_tenant), and every row a write reads in order to change it is locked here
(get_scoped). tests/unit/db/test_tenant_filters.py fails on a tenant filter written by hand
anywhere else.

Rows a caller reads are filtered here too (visible, owner_filter, may_read_owner): a caller
whose read of a resource is granted only at the `own` level (`deals:read:own`) reads only
the rows it owns, at the `team` level only those of its team, as the single-row checks of
crmgraph.gql.permissions decide."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar, TypeVarTuple
from uuid import UUID

from sqlalchemy import ColumnElement, Select, false, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from crmgraph.auth import rbac
from crmgraph.db import models
from crmgraph.db.models import (
    DealStay,
    HealthWeights,
    LeadScoreExplanation,
    LeadScoringRules,
    OutboxEvent,
    TenantRole,
    TenantRow,
)
from crmgraph.db.shared_reads import SharedReads
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
    TenantRow
    | OutboxEvent
    | TenantRole
    | HealthWeights
    | LeadScoringRules
    | LeadScoreExplanation
    | DealStay
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


# The rows that have an owner: model -> (the resource whose read grant decides, the column
# naming the owner, as crmgraph.gql.permissions.OWNER_OF reads it). A communication names no
# owner, so a reader at the own or team level sees none, as a row without an owner passes no
# single-row owner check; a user owns what is about them.
OWNED: dict[type[Tenanted], tuple[str, str | None]] = {
    models.Account: ("accounts", "owner_id"),
    models.Contact: ("contacts", "owner_id"),
    models.Deal: ("deals", "owner_id"),
    models.Lead: ("leads", "owner_id"),
    models.Task: ("activities", "assigned_to_id"),
    models.Event: ("activities", "owner_id"),
    models.Communication: ("activities", None),
    models.User: ("users", "id"),
}


def read_level(scope: Scope | str, resource: str) -> str | None:
    """`own` or `team` when the caller reads resource only at that level; None when it reads
    the whole tenant, may not read it at all (the field's own check refuses that) or is no
    caller (a tenant id: the relay, consumers)."""
    if isinstance(scope, str):
        return None
    found = rbac.grant(scope.permissions, resource, "read")
    return found.level if found.allowed and found.level != "tenant" else None


def limited_reads(scope: Scope | str) -> frozenset[str]:
    """The owned resources (OWNED) the caller reads only at the own or team level."""
    return frozenset(r for r, _ in OWNED.values() if read_level(scope, r) is not None)


def owner_filter(model: type[Tenanted], scope: Scope | str) -> list[ColumnElement[bool]]:
    """The WHERE conditions keeping a read of model to the rows the caller may read: none at
    the tenant level; at the own level rows it owns; at the team level rows it or someone of
    its team owns (only its own without a team, as the single-row check)."""
    owned = OWNED.get(model)
    level = None if owned is None else read_level(scope, owned[0])
    if owned is None or level is None or isinstance(scope, str):
        return []
    column = owned[1]
    if column is None or scope.user_id is None:
        return [false()]
    owner = getattr(model, column)
    if level == "own" or scope.team is None:
        return [owner == scope.user_id]
    member = aliased(models.User)
    team = select(member.id).where(member.tenant_id == scope.tenant_id, member.team == scope.team)
    return [or_(owner == scope.user_id, owner.in_(team))]


def visible(stmt: Select[*Ts], model: type[Tenanted], scope: Scope | str) -> Select[*Ts]:
    """stmt kept to the rows of model the caller may read: its tenant's (scoped), and of
    those, at the own or team level, its own or its team's (owner_filter). Every read of rows
    on behalf of a caller (lists, their counts, search, loaders behind entities) uses it."""
    return scoped(stmt, model, scope).where(*owner_filter(model, scope))


def may_read_owner(
    scope: Scope, resource: str, owner_id: UUID | None, team: Collection[UUID] = ()
) -> bool:
    """Whether the caller may read a row of resource owned by owner_id (None: no one), team
    being the ids of its team's users: the rule of owner_filter for a row in hand (an
    event). Resources without owners and tenant-level reads pass."""
    owners = readable_owners(scope, resource, team)
    return owners is None or (owner_id is not None and owner_id in owners)


def readable_owners(
    scope: Scope | str, resource: str, team: Collection[UUID] = ()
) -> frozenset[UUID] | None:
    """The owners whose rows of resource the caller may read, None for every row (the
    tenant level, or no caller): the rule of owner_filter as a set, for may_read_owner and a
    store that cannot run owner_filter's SQL (the Neo4j adapter matches owners in Cypher)."""
    level = read_level(scope, resource)
    if level is None or isinstance(scope, str):
        return None
    if scope.user_id is None:
        return frozenset()
    return frozenset({scope.user_id, *(team if level == "team" else ())})


async def team_members(session: AsyncSession, scope: Scope) -> frozenset[UUID]:
    """The ids of the users of the caller's team (none without a team)."""
    if scope.team is None:
        return frozenset()
    return await _members(session, scope.tenant_id, scope.team)


async def _members(session: AsyncSession, tenant_id: str, team: str) -> frozenset[UUID]:
    user = models.User
    stmt = scoped(select(user.id), user, tenant_id).where(user.team == team)
    return frozenset(await session.scalars(stmt))


# A team as a process shares its users among open streams: (tenant id, team).
TeamKey = tuple[str, str]


def team_reads(sessions: Callable[[], AsyncSession]) -> SharedReads[TeamKey, frozenset[UUID]]:
    """The users of each team, read once for all of a process's open streams that ask
    within the age they accept (LiveTeam): crmgraph.runtime.Runtime.teams."""

    async def read(key: TeamKey) -> frozenset[UUID]:
        async with sessions() as session:
            return await _members(session, *key)

    return SharedReads(read)


class LiveTeam(Collection[UUID]):
    """The ids of the caller's team's users as a stream that stays open (a subscription, the
    SSE feed) sees them: read when it opens, then again by fresh() (the stream calls it
    before judging an event) whenever the answer is `every` seconds old, so a user moved out
    of the team stops counting within that interval. The answer comes from teams, shared by
    the process's streams of the same team: one read per team and interval, not one per
    stream. Only a caller reading some owned resource at the team level and having a team
    reads anything."""

    def __init__(
        self, teams: SharedReads[TeamKey, frozenset[UUID]], scope: Scope, every: float
    ) -> None:
        self._teams = teams
        self._every = every
        self._ids: frozenset[UUID] = frozenset()
        # Decided once: fresh() runs before every event the stream judges.
        by_team = any(read_level(scope, r) == "team" for r, _ in OWNED.values())
        self._key = (scope.tenant_id, scope.team) if scope.team is not None and by_team else None

    async def fresh(self) -> LiveTeam:
        """Itself, its ids read again when older than `every` seconds."""
        if self._key is not None:
            self._ids = await self._teams.get(self._key, self._every)
        return self

    def __contains__(self, item: object) -> bool:
        return item in self._ids

    def __iter__(self) -> Iterator[UUID]:
        return iter(self._ids)

    def __len__(self) -> int:
        return len(self._ids)
