"""Per-request loaders over the GraphStore port's questions (a request's RequestGraph,
crmgraph.graph.read_your_writes): every account a request level asks about goes into one
graph query (one per question and level, never one per account). Accounts a caller may not
read are left out by the account loaders these ids go through; the sum of deal values keeps
to the deals the caller may read in the graph's statement itself."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from decimal import Decimal
from functools import cached_property
from typing import TypeVar
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from crmgraph.db.scoping import Scope, limited_reads, team_members
from crmgraph.graph.port import GraphReader, Ranked, Related
from crmgraph.loaders.base import Loader

V = TypeVar("V")


class GraphLoaders:
    """scope: the caller; sessions read its team when its deal sums must keep to it."""

    def __init__(
        self, graph: GraphReader, scope: Scope, sessions: Callable[[], AsyncSession]
    ) -> None:
        self._graph = graph
        self._scope = scope
        self._tenant = scope.tenant_id
        self._sessions = sessions

    def _over(
        self, ask: Callable[[str, Sequence[UUID]], Awaitable[dict[UUID, V]]], absent: V
    ) -> Loader[UUID, V]:
        async def batch(ids: list[UUID]) -> list[V]:
            found = await ask(self._tenant, ids)
            return [found.get(i, absent) for i in ids]

        return Loader(batch)

    @cached_property
    def parent(self) -> Loader[UUID, UUID | None]:
        return self._over(self._graph.parents, None)

    @cached_property
    def children(self) -> Loader[UUID, list[UUID]]:
        return self._over(self._graph.children, [])

    @cached_property
    def ancestors(self) -> Loader[UUID, list[Ranked]]:
        return self._over(self._graph.ancestors, [])

    @cached_property
    def descendants(self) -> Loader[UUID, list[Ranked]]:
        return self._over(self._graph.descendants, [])

    @cached_property
    def relationships(self) -> Loader[UUID, list[Related]]:
        return self._over(self._graph.relationships, [])

    @cached_property
    def rolled_up_deal_value(self) -> Loader[UUID, Decimal]:
        async def ask(tenant: str, ids: Sequence[UUID]) -> dict[UUID, Decimal]:
            team: frozenset[UUID] = frozenset()
            if "deals" in limited_reads(self._scope):
                async with self._sessions() as session:
                    team = await team_members(session, self._scope)
            return await self._graph.deal_value_rollup(
                tenant, ids, include_descendants=True, reader=self._scope, team=team
            )

        return self._over(ask, Decimal(0))
