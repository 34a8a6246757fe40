"""Reading one tenant's events from the bus, for subscriptions and feeds."""

from __future__ import annotations

import asyncio
import functools
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AsyncExitStack
from typing import Protocol, TypeVar

from broadcaster import Broadcast, Event

from crmgraph.auth.needs import may_receive
from crmgraph.db.scoping import Scope, same_tenant
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


# Every subscriber of a process receives the same message: decode it once. The events are
# shared between subscribers from here on, so nothing may change them.
_decode = functools.lru_cache(maxsize=256)(BusEvent.decode)

E = TypeVar("E")


class Subscriber(Protocol):
    """What broadcaster's subscribe() yields, as far as we use it (its class is private)."""

    async def get(self) -> Event: ...


def once_per_event(build: Callable[[BusEvent], E]) -> Callable[[BusEvent], E]:
    """build(event), computed once per event_id in this process (the last 256 events): what
    a subscription makes of an event is the same for each of its subscribers, so a thousand
    subscribers cost one build. The result is shared: it must not be changed."""
    cache: OrderedDict[str, E] = OrderedDict()

    def cached(event: BusEvent) -> E:
        found = cache.get(event.event_id)
        if found is None:
            found = cache[event.event_id] = build(event)
            if len(cache) > 256:
                cache.popitem(last=False)
        return found

    return cached


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
            event = _decode((await merged.get()).message)
            if same_tenant(event.tenant_id, tenant_id) and not recent.seen(event.event_id):
                yield event


async def readable_events(
    broadcast: Broadcast,
    scope: Scope,
    topics: Sequence[str],
    *,
    ready: asyncio.Event | None = None,
) -> AsyncIterator[BusEvent]:
    """tenant_events of the scope's tenant, less each event its permissions may not read
    (crmgraph.auth.needs.EVENTS: a deal's events need deals:read). Every subscription and
    the SSE feed read their events through here."""
    async for event in tenant_events(broadcast, scope.tenant_id, topics, ready=ready):
        if visible(scope, event):
            yield event


def visible(scope: Scope, event: BusEvent) -> bool:
    """Whether scope may receive event: the same check for live and replayed events."""
    return same_tenant(event.tenant_id, scope) and may_receive(scope.permissions, event.topic)


async def _forward(subscriber: Subscriber, into: asyncio.Queue[Event]) -> None:
    while True:
        into.put_nowait(await subscriber.get())
