"""The GraphStore port. Adapters: Neo4j (full mode) and SQL (embedded mode).

Every question is batched: it takes the ids of many accounts and answers for each, in one
query, so a GraphQL request level costs one graph query however many accounts it shows
(crmgraph.graph.loaders). Every answer is of one tenant's rows only. Lists come in a fixed
order, the same from both adapters (tests/contract/test_graph_store.py holds them to it):
children and relationships by id, ancestors nearest first, descendants by depth then id.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Protocol
from uuid import UUID

from crmgraph.db.scoping import Scope
from crmgraph.domain.attribution import Journey
from crmgraph.domain.customer_journey import JourneyStep
from crmgraph.graph.model import Changes

# Deeper hierarchies are cut here: a guard against a cycle written around the checks
# (crmgraph.domain.accounts refuses them), far beyond any real company tree.
MAX_DEPTH = 1000


@dataclass(frozen=True, order=True)
class Ranked:
    """An account at a distance: depth 1 is the parent (or a child), 2 the next, ..."""

    depth: int
    account_id: UUID


@dataclass(frozen=True)
class Related:
    """An account relationship (account_relationships row): account_id is its subject."""

    id: UUID
    account_id: UUID
    related_account_id: UUID
    type: str


class GraphReader(Protocol):
    """The port's questions. An adapter answers them; so does a request's choice between
    the two (crmgraph.graph.read_your_writes), which is what request code reads."""

    async def parents(self, tenant: str, ids: Sequence[UUID]) -> dict[UUID, UUID | None]:
        """Each account's parent; an id not of tenant's accounts is left out."""
        ...

    async def children(self, tenant: str, ids: Sequence[UUID]) -> dict[UUID, list[UUID]]:
        """Each account's direct children (every id asked is a key)."""
        ...

    async def ancestors(self, tenant: str, ids: Sequence[UUID]) -> dict[UUID, list[Ranked]]:
        """Each account's parent, its parent, ... to the root (every id asked is a key)."""
        ...

    async def descendants(self, tenant: str, ids: Sequence[UUID]) -> dict[UUID, list[Ranked]]:
        """Each account's children, their children, ... to any depth (every id is a key)."""
        ...

    async def relationships(self, tenant: str, ids: Sequence[UUID]) -> dict[UUID, list[Related]]:
        """The account relationships each account is either side of (every id is a key)."""
        ...

    async def would_create_cycle(self, tenant: str, child: UUID, new_parent: UUID) -> bool:
        """Would making new_parent child's parent close a loop (new_parent is child or one
        of its descendants)? Reads the projection: the authoritative check of a write is
        crmgraph.domain.accounts', on PostgreSQL under a lock."""
        ...

    async def deal_value_rollup(
        self, tenant: str, ids: Sequence[UUID], *, include_descendants: bool,
        reader: Scope | None = None, team: Collection[UUID] = (),
    ) -> dict[UUID, Decimal]:  # fmt: skip
        """The total value of each account's ACTIVE deals, with those of all its descendants
        when include_descendants (every id is a key; exact, as the Money columns). With a
        reader (a caller) reading deals only at the own or team level, of its deals only (its
        team's: team, the ids crmgraph.db.scoping.team_members reads), by the rule of
        crmgraph.db.scoping.owner_filter; without one, of every deal."""
        ...

    # --- Marketing journeys (revenue attribution, customer journeys) -----------------------
    # Cypher in the Neo4j adapter (crmgraph.graph.neo4j_journeys, neo4j_customer_journey),
    # the SQL readers (crmgraph.graph.sql_journeys, sql_customer_journey) in the SQL one.

    async def revenue_journeys(
        self, tenant: str, start: datetime, end: datetime, *, non_converting: bool = False
    ) -> Sequence[Journey]:
        """One journey per deal of the tenant closed (won or lost) in [start, end], with the
        touchpoints of its contact and of the lead it came from; with non_converting, also
        one per lead created in the range that became no such deal."""
        ...

    async def customer_journey(
        self, tenant: str, *, contact_id: UUID | None = None, account_id: UUID | None = None
    ) -> Sequence[JourneyStep]:
        """Every step of a contact's or an account's journey, ordered by (occurred_at, id);
        NOT_FOUND when it is not the tenant's, VALIDATION_ERROR unless exactly one is given."""
        ...


class GraphStore(GraphReader, Protocol):
    """An adapter: its questions, and the projection it keeps."""

    name: str

    async def ping(self) -> str:
        """The backend's version string; raises ServiceUnavailable when it does not answer."""
        ...

    async def close(self) -> None: ...

    async def project(self, changes: Changes, *, links: bool = True) -> None:
        """Write changes into the projection (the outbox consumer and rebuild). links=False
        writes nodes only (a rebuild's first pass). ServiceUnavailable when it is down. The
        SQL adapter has nothing to write: its graph is the relational tables."""
        ...


def by_depth(found: dict[UUID, list[Ranked]]) -> dict[UUID, list[Ranked]]:
    """The port's order for ancestors and descendants: depth, then id."""
    return {key: sorted(value, key=lambda r: (r.depth, str(r.account_id)))
            for key, value in found.items()}  # fmt: skip
