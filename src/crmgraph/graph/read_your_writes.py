"""Read-your-writes for graph reads: which adapter answers a request's graph questions.

PostgreSQL is the source of truth; the Neo4j projection follows it from the outbox (the
graph-projection consumer), a little later. A request reads a tenant's graph from Neo4j only
while the projection is current for that tenant: no graph-projection delivery of the
tenant's events is pending (crmgraph.events.deliveries.pending_for_tenant, one indexed
statement, asked once per tenant and request, asked again after the request writes).
Otherwise the SQL adapter (recursive CTEs on the tables) answers, so every answer shows the
writes committed before it, a mutation's own included.

When Neo4j does not answer (the adapter's ServiceUnavailable: stopped, unreachable, a session
lost), the SQL adapter answers the same question instead, and for OUTAGE_SECONDS the process
asks it straight away rather than wait for Neo4j on every read. Each adapter counts what it
answered in `crmgraph_graph_queries_total{backend}`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Collection, Sequence
from datetime import datetime
from decimal import Decimal
from typing import TypeVar
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from crmgraph.db.scoping import Scope
from crmgraph.domain.attribution import Journey
from crmgraph.domain.customer_journey import JourneyStep
from crmgraph.errors import ServiceUnavailable
from crmgraph.events import deliveries
from crmgraph.events.consumers.graph_projection import GraphProjection
from crmgraph.graph.port import GraphReader, GraphStore, Ranked, Related

# How long after Neo4j failed to answer a process reads SQL without trying Neo4j first.
OUTAGE_SECONDS = 10.0
T = TypeVar("T")
log = logging.getLogger(__name__)


class GraphReads:
    """A process's two adapters (projection None: no Neo4j, the tables answer everything)
    and whether Neo4j is out; for_request() gives each request its reader."""

    def __init__(
        self,
        projection: GraphStore | None,
        tables: GraphStore,
        sessions: async_sessionmaker[AsyncSession],
    ) -> None:
        self.projection = projection
        self.tables = tables
        self._sessions = sessions
        self._out_until = 0.0

    def for_request(self) -> RequestGraph:
        return RequestGraph(self)

    def projection_up(self) -> GraphStore | None:
        """Neo4j, unless there is none or it failed less than OUTAGE_SECONDS ago."""
        return None if time.monotonic() < self._out_until else self.projection

    def projection_out(self, error: ServiceUnavailable) -> None:
        if time.monotonic() >= self._out_until:
            log.warning("graph reads go to SQL for %.0f s: %s", OUTAGE_SECONDS, error)
        self._out_until = time.monotonic() + OUTAGE_SECONDS

    async def current(self, tenant: str) -> bool:
        """Does the projection hold every committed write of tenant?"""
        async with self._sessions() as session:
            return not await deliveries.pending_for_tenant(session, GraphProjection.name, tenant)


class RequestGraph:
    """One request's graph reads (a GraphReader): each question to the adapter that shows
    the tenant's writes, with the SQL adapter standing in when Neo4j does not answer."""

    def __init__(self, reads: GraphReads) -> None:
        self._reads = reads
        self._current: dict[str, bool] = {}
        self._deciding = asyncio.Lock()  # loaders of one level ask at once: decide once

    async def _projection(self, tenant: str) -> GraphReader | None:
        projection = self._reads.projection_up()
        if projection is None:
            return None
        async with self._deciding:
            if tenant not in self._current:
                self._current[tenant] = await self._reads.current(tenant)
        return projection if self._current[tenant] else None

    async def _answer(self, tenant: str, ask: Callable[[GraphReader], Awaitable[T]]) -> T:
        projection = await self._projection(tenant)
        if projection is not None:
            try:
                return await ask(projection)
            except ServiceUnavailable as exc:
                self._reads.projection_out(exc)
        return await ask(self._reads.tables)

    async def parents(self, tenant: str, ids: Sequence[UUID]) -> dict[UUID, UUID | None]:
        return await self._answer(tenant, lambda g: g.parents(tenant, ids))

    async def children(self, tenant: str, ids: Sequence[UUID]) -> dict[UUID, list[UUID]]:
        return await self._answer(tenant, lambda g: g.children(tenant, ids))

    async def ancestors(self, tenant: str, ids: Sequence[UUID]) -> dict[UUID, list[Ranked]]:
        return await self._answer(tenant, lambda g: g.ancestors(tenant, ids))

    async def descendants(self, tenant: str, ids: Sequence[UUID]) -> dict[UUID, list[Ranked]]:
        return await self._answer(tenant, lambda g: g.descendants(tenant, ids))

    async def relationships(self, tenant: str, ids: Sequence[UUID]) -> dict[UUID, list[Related]]:
        return await self._answer(tenant, lambda g: g.relationships(tenant, ids))

    async def would_create_cycle(self, tenant: str, child: UUID, new_parent: UUID) -> bool:
        return await self._answer(tenant, lambda g: g.would_create_cycle(tenant, child, new_parent))

    async def deal_value_rollup(
        self, tenant: str, ids: Sequence[UUID], *, include_descendants: bool,
        reader: Scope | None = None, team: Collection[UUID] = (),
    ) -> dict[UUID, Decimal]:  # fmt: skip
        def ask(g: GraphReader) -> Awaitable[dict[UUID, Decimal]]:
            return g.deal_value_rollup(
                tenant, ids, include_descendants=include_descendants, reader=reader, team=team
            )

        return await self._answer(tenant, ask)

    async def revenue_journeys(
        self, tenant: str, start: datetime, end: datetime, *, non_converting: bool = False
    ) -> Sequence[Journey]:
        return await self._answer(
            tenant, lambda g: g.revenue_journeys(tenant, start, end, non_converting=non_converting)
        )

    async def customer_journey(
        self, tenant: str, *, contact_id: UUID | None = None, account_id: UUID | None = None
    ) -> Sequence[JourneyStep]:
        return await self._answer(
            tenant,
            lambda g: g.customer_journey(tenant, contact_id=contact_id, account_id=account_id),
        )
