"""The Redis publisher: puts each outbox event on the bus for subscriptions and the SSE feed.

Ordered, since subscribers expect each aggregate's events in sequence. A publish that fails
means the bus is down, never that the event is bad: it raises ServiceUnavailable, so the event
waits (with backoff) and never becomes a dead letter. Once the bus answers again it waits
RESUBSCRIBE_GRACE before publishing, so subscribers' listeners are back first.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, ClassVar, Self

from broadcaster import Broadcast

from crmgraph.config import mask_url
from crmgraph.errors import ServiceUnavailable
from crmgraph.events import bus
from crmgraph.events.consumers.base import Consumer

if TYPE_CHECKING:
    from crmgraph.runtime import Runtime

# Longer than the bus listener's reconnect delay, so subscribers are back before we publish.
RESUBSCRIBE_GRACE = 0.75


class RedisPublisher(Consumer):
    """Publishes each event on channel_for(tenant, topic), as BusEvent.encode() makes it."""

    name: ClassVar[str] = "redis-publisher"
    ordered: ClassVar[bool] = True
    batch_size: ClassVar[int] = 200
    max_backoff: ClassVar[float] = 5.0

    def __init__(self, broadcast: Broadcast, redis_url: str) -> None:
        self.broadcast = broadcast
        self.redis_url = redis_url
        self._down = False

    @classmethod
    def from_runtime(cls, runtime: Runtime) -> Self:
        return cls(runtime.broadcast, runtime.settings.redis_url)

    async def handle(self, event: bus.BusEvent) -> None:
        if self._down:
            await bus.ping(self.redis_url)  # ServiceUnavailable while still down
            await asyncio.sleep(RESUBSCRIBE_GRACE)
            self._down = False
        try:
            await self.broadcast.publish(
                bus.channel_for(event.tenant_id, event.topic), event.encode()
            )
        except Exception as exc:  # whatever the backend raises, the bus is unavailable
            self._down = True
            reason = str(exc) or type(exc).__name__
            raise ServiceUnavailable("Redis", mask_url(self.redis_url), reason) from exc
