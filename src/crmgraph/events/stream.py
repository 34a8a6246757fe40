"""Reading one tenant's events from the bus, for subscriptions and feeds."""

from __future__ import annotations

import asyncio
import functools
import logging
import weakref
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Collection, Sequence
from contextlib import AsyncExitStack
from typing import Protocol, TypeVar
from uuid import UUID

from broadcaster import Broadcast, Event

from crmgraph.auth.read_needs import EVENTS, may_receive
from crmgraph.db.scoping import LiveTeam, Scope, may_read_owner, same_tenant
from crmgraph.errors import dependency_down
from crmgraph.events.bus import BusEvent, available, channel_for
from crmgraph.events.codec import PayloadError
from crmgraph.events.envelope import Envelope
from crmgraph.events.payloads import ActivityEvent, Payload

log = logging.getLogger("crmgraph.events.stream")


class FirstArrivals:
    """Which arrival of each event id a process's bus connection (one Broadcast) delivered
    first, for the last `size` event ids: a republished event (same event_id, a new
    message) is dropped by every subscriber. Broadcaster hands the same Event object to each
    subscriber of a channel, so an arrival is that object, and one table serves them all: a
    window of 1,024 ids per subscriber cost ~20 MiB at 200 subscribers (a soak), this
    ~1,024 messages per process. A subscriber that joined after an event's first arrival
    drops its republication too: it subscribed after the event."""

    def __init__(self, size: int = 1024) -> None:
        self.size = size
        self._first: OrderedDict[UUID, Event] = OrderedDict()

    def first(self, key: UUID, arrival: Event) -> bool:
        """Whether arrival is the first of key (remembered when it is the first seen)."""
        found = self._first.get(key)
        if found is None:
            self._first[key] = arrival
            if len(self._first) > self.size:
                self._first.popitem(last=False)
            return True
        return found is arrival


_arrivals: weakref.WeakKeyDictionary[Broadcast, FirstArrivals] = weakref.WeakKeyDictionary()


def first_arrivals(broadcast: Broadcast) -> FirstArrivals:
    """The table of broadcast's arrivals (each connection delivers its own Event objects)."""
    table = _arrivals.get(broadcast)
    if table is None:
        table = _arrivals[broadcast] = FirstArrivals()
    return table


def readable(event: BusEvent) -> Envelope[Payload] | None:
    """event decoded; None, logged, when this build cannot read its payload (a newer
    payload version during an upgrade): listeners skip it rather than end."""
    try:
        return Envelope.of(event)
    except PayloadError as exc:
        log.error("event %s skipped: %s", event.event_id, exc)
        return None


@functools.lru_cache(maxsize=256)
def _decode(message: str) -> Envelope[Payload] | None:
    """Every subscriber of a process receives the same message: decode it once. The events
    are shared between subscribers from here on (they are frozen)."""
    return readable(BusEvent.decode(message))


E = TypeVar("E")
P = TypeVar("P", bound=Payload)


class Subscriber(Protocol):
    """What broadcaster's subscribe() yields, as far as we use it (its class is private)."""

    async def get(self) -> Event: ...


def once_per_event(build: Callable[[Envelope[P]], E]) -> Callable[[Envelope[P]], E]:
    """build(event), computed once per event_id in this process (the last 256 events): what
    a subscription makes of an event is the same for each of its subscribers, so a thousand
    subscribers cost one build. The result is shared: it must not be changed."""
    cache: OrderedDict[UUID, E] = OrderedDict()

    def cached(event: Envelope[P]) -> E:
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
) -> AsyncIterator[Envelope[Payload]]:
    """Events of tenant_id on topics, in arrival order, each at most once. The channels
    carry the tenant, so another tenant's events never arrive; a mismatch is dropped too.
    ready is set once subscribed: what is published from then on arrives."""
    if not available(broadcast):
        # Subscribed now, it would wait in silence until Redis is back: refuse instead.
        raise dependency_down("Redis")
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
        arrivals = first_arrivals(broadcast)
        while True:
            arrival = await merged.get()
            event = _decode(arrival.message)
            if event is None or not same_tenant(event.tenant_id, tenant_id):
                continue
            if arrivals.first(event.event_id, arrival):
                yield event


async def readable_events(
    broadcast: Broadcast,
    scope: Scope,
    topics: Sequence[str],
    *,
    ready: asyncio.Event | None = None,
    team: LiveTeam | None = None,
) -> AsyncIterator[Envelope[Payload]]:
    """tenant_events of the scope's tenant, less each event its permissions may not read
    (crmgraph.auth.read_needs.EVENTS: a deal's events need deals:read; at the own or team
    level only of the caller's or its team's rows, team the ids of its team's users as they
    are now, give or take its interval: crmgraph.db.scoping.LiveTeam). Every subscription
    and the SSE feed read their events through here."""
    async for event in tenant_events(broadcast, scope.tenant_id, topics, ready=ready):
        if visible(scope, event, () if team is None else await team.fresh()):
            yield event


def visible(scope: Scope, event: Envelope[Payload], team: Collection[UUID] = ()) -> bool:
    """Whether scope may receive event: the same check for live and replayed events."""
    if not (same_tenant(event.tenant_id, scope) and may_receive(scope.permissions, event.topic)):
        return False
    if event.topic.split(".", 1)[0] not in OWNED_AGGREGATES:
        return True
    resource = EVENTS[event.topic.split(".", 1)[0]].split(":", 1)[0]
    return may_read_owner(scope, resource, event_owner(event.payload), team)


# The aggregates whose rows have an owner (crmgraph.db.scoping.OWNED).
OWNED_AGGREGATES = frozenset({"account", "activity", "task", "contact", "deal", "lead"})


def event_owner(payload: Payload) -> UUID | None:
    """The owner of the row an event carries (a task's assignee), None when it names none (a
    communication, a relationship between accounts)."""
    if isinstance(payload, ActivityEvent):
        state: object = payload.activity
    else:
        names = ("deal", "contact", "account", "lead", "task")
        state = next((getattr(payload, n) for n in names if hasattr(payload, n)), None)
    owner = getattr(state, "assigned_to_id", None) or getattr(state, "owner_id", None)
    return owner if isinstance(owner, UUID) else None


async def _forward(subscriber: Subscriber, into: asyncio.Queue[Event]) -> None:
    while True:
        into.put_nowait(await subscriber.get())
