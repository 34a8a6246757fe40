"""A domain event as its consumers read it: the outbox row's facts and the typed payload.

The bus and the outbox carry the payload as JSON (crmgraph.events.bus.BusEvent, the
publishing format); Envelope.of decodes it once (crmgraph.events.codec). Subscriptions and
the SSE feed read Envelopes, never the JSON.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar
from uuid import UUID

from crmgraph.events import codec
from crmgraph.events.bus import BusEvent
from crmgraph.events.payloads import Payload
from crmgraph.events.topics import Topic

P = TypeVar("P", bound=Payload, covariant=True)


@dataclass(frozen=True)
class Envelope(Generic[P]):
    """`id` is the outbox id (SSE's event id), `event_id` the unique id consumers drop
    duplicates by, `sequence` the per-aggregate order, `created_at` the write's time."""

    id: int
    event_id: UUID
    topic: Topic
    tenant_id: str
    aggregate_id: UUID
    sequence: int
    created_at: datetime
    payload: P

    @staticmethod
    def of(event: BusEvent) -> Envelope[Payload]:
        """Decode a published event (an outbox row: BusEvent.from_row(row)); raises
        codec.PayloadError if its payload is unreadable (crmgraph.events.stream.readable
        logs and skips such an event instead)."""
        return Envelope(
            id=event.id,
            event_id=UUID(event.event_id),
            topic=Topic(event.topic),
            tenant_id=event.tenant_id,
            aggregate_id=UUID(event.aggregate_id),
            sequence=event.sequence,
            created_at=datetime.fromisoformat(event.created_at),
            payload=codec.decode(event.topic, event.payload),
        )
