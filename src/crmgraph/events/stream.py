"""Reading one tenant's events from the bus, for subscriptions and feeds."""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import AsyncIterator, Sequence
from contextlib import AsyncExitStack

from broadcaster import Broadcast, Event
from broadcaster._base import Subscriber

from crmgraph.events.bus import BusEvent, channel_for


class Recent:
    """The last `size` keys seen: a republished event (same event_id) is dropped."""

    def __init__(self, size: int = 1024) -> None:
        self.size = size
        self._keys: OrderedDict[str, None] = OrderedDict()

    def seen(self, key: str) -> bool:
        """Whether key was seen before; remembers it either way."""
        if key in self._keys:
            self._keys.move_to_end(key)
            return True
        self._keys[key] = None
        if len(self._keys) > self.size:
            self._keys.popitem(last=False)
        return False


async def tenant_events(
    broadcast: Broadcast,
    tenant_id: str,
    topics: Sequence[str],
    *,
    ready: asyncio.Event | None = None,
) -> AsyncIterator[BusEvent]:
    """Events of tenant_id on topics, in arrival order, each at most once. The channels
    carry the tenant, so another tenant's events never arrive; a mismatch is dropped too.
    ready is set once subscribed: what is published from then on arrives."""
    merged: asyncio.Queue[Event] = asyncio.Queue()
    async with AsyncExitStack() as stack:
        forwarders = []
        for topic in dict.fromkeys(topics):
            subscriber = await stack.enter_async_context(
                broadcast.subscribe(channel_for(tenant_id, topic))
            )
            forwarders.append(asyncio.create_task(_forward(subscriber, merged)))
        # Registered last, so it runs first: stop forwarding before unsubscribing.
        stack.callback(lambda: [task.cancel() for task in forwarders])
        if ready is not None:
            ready.set()
        recent = Recent()
        while True:
            event = BusEvent.decode((await merged.get()).message)
            if event.tenant_id == tenant_id and not recent.seen(event.event_id):
                yield event


async def _forward(subscriber: Subscriber, into: asyncio.Queue[Event]) -> None:
    while True:
        into.put_nowait(await subscriber.get())
