"""SQL adapter of the GraphStore port, for embedded mode (recursive CTEs over the same DB).

The relational tables are its graph, so it projects nothing. Each question is one statement
for all the accounts asked (PostgreSQL and SQLite alike), counted in
`crmgraph_graph_queries_total` (backend="sql") like the Neo4j adapter's.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any, cast
from uuid import UUID

from sqlalchemy import CTE, Executable, func, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.orm import aliased

from crmgraph.db import models
from crmgraph.db.engine import ping as db_ping
from crmgraph.db.scoping import Scope, owner_filter, scoped, tenant_filter
from crmgraph.domain.attribution import Journey
from crmgraph.domain.customer_journey import JourneyStep
from crmgraph.graph import sql_customer_journey, sql_journeys
from crmgraph.graph.model import Changes
from crmgraph.graph.port import MAX_DEPTH, Ranked, Related, by_depth
from crmgraph.rest.metrics import GRAPH_QUERIES

A = models.Account
CENT = Decimal("0.01")


def _down(tenant: str, ids: Sequence[UUID], *, start: int) -> CTE:
    """(root, account, depth) for every account below each root (and the root itself at
    depth 0 when start is 0), to MAX_DEPTH."""
    if start == 0:
        base = select(A.id.label("root"), A.id.label("other"), literal(0).label("depth"))
        base = base.where(tenant_filter(A, tenant), A.id.in_(ids))
    else:
        base = select(A.parent_account_id.label("root"), A.id.label("other"),
                      literal(1).label("depth"))  # fmt: skip
        base = base.where(tenant_filter(A, tenant), A.parent_account_id.in_(ids))
    tree = base.cte("down", recursive=True)
    child = cast(type[models.Account], aliased(A))
    step = select(tree.c.root, child.id, tree.c.depth + 1).join(
        child, child.parent_account_id == tree.c.other
    )
    return tree.union_all(step.where(tenant_filter(child, tenant), tree.c.depth < MAX_DEPTH))


def _up(tenant: str, ids: Sequence[UUID]) -> CTE:
    """(root, account, depth) for every ancestor of each root, to MAX_DEPTH."""
    base = select(A.id.label("root"), A.parent_account_id.label("other"),
                  literal(1).label("depth"))  # fmt: skip
    base = base.where(tenant_filter(A, tenant), A.id.in_(ids), A.parent_account_id.is_not(None))
    tree = base.cte("up", recursive=True)
    parent = cast(type[models.Account], aliased(A))
    step = select(tree.c.root, parent.parent_account_id, tree.c.depth + 1).join(
        parent, parent.id == tree.c.other
    )
    return tree.union_all(step.where(tenant_filter(parent, tenant),
                                     parent.parent_account_id.is_not(None),
                                     tree.c.depth < MAX_DEPTH))  # fmt: skip


class SqlGraphStore:
    name = "sql"

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def ping(self) -> str:
        return f"sql ({self._engine.dialect.name} {await db_ping(self._engine)})"

    async def close(self) -> None:
        """The engine belongs to the runtime, which disposes of it."""

    async def project(self, changes: Changes, *, links: bool = True) -> None:
        """Nothing to write: the tables are the graph."""

    async def _rows(self, query: str, stmt: Executable) -> list[Any]:
        GRAPH_QUERIES.labels(backend=self.name, query=query).inc()
        async with self._engine.connect() as connection:
            return list((await connection.execute(stmt)).all())

    async def parents(self, tenant: str, ids: Sequence[UUID]) -> dict[UUID, UUID | None]:
        stmt = scoped(select(A.id, A.parent_account_id), A, tenant).where(A.id.in_(ids))
        return {row[0]: row[1] for row in await self._rows("parents", stmt)}

    async def children(self, tenant: str, ids: Sequence[UUID]) -> dict[UUID, list[UUID]]:
        stmt = scoped(select(A.parent_account_id, A.id), A, tenant)
        found: dict[UUID, list[UUID]] = {i: [] for i in ids}
        for parent, child in await self._rows("children", stmt.where(A.parent_account_id.in_(ids))):
            found[parent].append(child)
        return {key: sorted(value, key=str) for key, value in found.items()}

    async def ancestors(self, tenant: str, ids: Sequence[UUID]) -> dict[UUID, list[Ranked]]:
        return await self._ranked("ancestors", _up(tenant, ids), ids)

    async def descendants(self, tenant: str, ids: Sequence[UUID]) -> dict[UUID, list[Ranked]]:
        return await self._ranked("descendants", _down(tenant, ids, start=1), ids)

    async def _ranked(self, query: str, tree: CTE, ids: Sequence[UUID]) -> dict[UUID, list[Ranked]]:
        found: dict[UUID, list[Ranked]] = {i: [] for i in ids}
        stmt = select(tree.c.root, tree.c.other, tree.c.depth)
        for root, other, depth in await self._rows(query, stmt):
            found[root].append(Ranked(int(depth), other))
        return by_depth(found)

    async def relationships(self, tenant: str, ids: Sequence[UUID]) -> dict[UUID, list[Related]]:
        r = models.AccountRelationship
        columns = select(r.id, r.account_id, r.related_account_id, r.relationship_type)
        stmt = scoped(columns, r, tenant).where(
            or_(r.account_id.in_(ids), r.related_account_id.in_(ids))
        )
        found: dict[UUID, list[Related]] = {i: [] for i in ids}
        for rid, account_id, related_id, kind in await self._rows("relationships", stmt):
            related = Related(rid, account_id, related_id, kind)
            for side in {account_id, related_id} & found.keys():
                found[side].append(related)
        return {key: sorted(value, key=lambda x: str(x.id)) for key, value in found.items()}

    async def would_create_cycle(self, tenant: str, child: UUID, new_parent: UUID) -> bool:
        if child == new_parent:
            return True
        above = (await self.ancestors(tenant, [new_parent]))[new_parent]
        return any(ranked.account_id == child for ranked in above)

    async def deal_value_rollup(
        self, tenant: str, ids: Sequence[UUID], *, include_descendants: bool,
        reader: Scope | None = None, team: Collection[UUID] = (),
    ) -> dict[UUID, Decimal]:  # fmt: skip
        """team is not needed: owner_filter reads the reader's team in the statement."""
        d = models.Deal
        found = {i: CENT * 0 for i in ids}
        if include_descendants:
            tree = _down(tenant, ids, start=0)
            stmt = select(tree.c.root, func.sum(d.value)).join(d, d.account_id == tree.c.other)
            stmt = stmt.group_by(tree.c.root)
        else:
            stmt = select(d.account_id, func.sum(d.value)).where(d.account_id.in_(ids))
            stmt = stmt.group_by(d.account_id)
        stmt = stmt.where(tenant_filter(d, tenant), d.status == "ACTIVE")
        stmt = stmt.where(*owner_filter(d, tenant if reader is None else reader))
        for root, total in await self._rows("deal_value_rollup", stmt):
            found[root] = Decimal(total or 0).quantize(CENT)
        return found

    # --- Marketing journeys (revenue attribution, customer journeys) -----------------------

    async def revenue_journeys(
        self, tenant: str, start: datetime, end: datetime, *, non_converting: bool = False
    ) -> Sequence[Journey]:
        # Counted once per question (the reader runs a few statements), so a test can tell
        # which adapter answered: the Neo4j adapter never hands this one over.
        GRAPH_QUERIES.labels(backend=self.name, query="revenue_journeys").inc()
        async with AsyncSession(self._engine) as session:
            return await sql_journeys.revenue_journeys(
                session, tenant, start, end, non_converting=non_converting
            )

    async def customer_journey(
        self, tenant: str, *, contact_id: UUID | None = None, account_id: UUID | None = None
    ) -> Sequence[JourneyStep]:
        GRAPH_QUERIES.labels(backend=self.name, query="customer_journey").inc()
        async with AsyncSession(self._engine) as session:
            return await sql_customer_journey.customer_journey(
                session, tenant, contact_id=contact_id, account_id=account_id
            )
