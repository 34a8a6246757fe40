"""The graph projection: keeps Neo4j's copy of accounts, contacts, leads, deals, users,
campaigns, touchpoints and their links current from the outbox (crmgraph.graph.changes says
what each event writes).

Ordered, so a row's events reach the graph in the order they were written and a link's
target exists before the link. A batch's events go in one Neo4j transaction
(handle_all: crmgraph.graph.model.combined keeps each node's newest state, and the write puts
every node before any link), not one per event; a batch that fails for another reason than
Neo4j being down is handled again one event at a time, so a bad event fails alone.
Writes are idempotent MERGEs that skip a state older than the node's, so an event handled
again (a batch retried after a crash) never undoes a newer one.
While Neo4j is down the store raises ServiceUnavailable: the events wait with backoff (up to
max_backoff between tries), never become dead letters, and the projection catches up when it
answers; writes to PostgreSQL go on meanwhile. Its lag is the consumer's
`crmgraph_consumer_oldest_pending_seconds{consumer="graph-projection"}` on /metrics. In
embedded mode the SQL store projects nothing (its graph is the tables).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, ClassVar, Self

from crmgraph.events.bus import BusEvent
from crmgraph.events.consumers.base import Consumer
from crmgraph.events.envelope import Envelope
from crmgraph.graph.changes import changes_of
from crmgraph.graph.model import combined
from crmgraph.graph.port import GraphStore

if TYPE_CHECKING:
    from crmgraph.runtime import Runtime


class GraphProjection(Consumer):
    name: ClassVar[str] = "graph-projection"
    ordered: ClassVar[bool] = True
    batch_size: ClassVar[int] = 200
    max_backoff: ClassVar[float] = 5.0
    batches: ClassVar[bool] = True

    def __init__(self, graph: GraphStore) -> None:
        self.graph = graph

    @classmethod
    def from_runtime(cls, runtime: Runtime) -> Self:
        return cls(runtime.graph)

    async def handle(self, event: BusEvent) -> None:
        await self.graph.project(changes_of(Envelope.of(event).payload))

    async def handle_all(self, events: Sequence[BusEvent]) -> None:
        await self.graph.project(combined(changes_of(Envelope.of(e).payload) for e in events))
