"""What a consumer of the outbox is: a name, how it wants its events, and handle()."""

from __future__ import annotations

import random
from abc import ABC, abstractmethod
from collections.abc import Callable, Coroutine, Mapping, Sequence
from contextvars import ContextVar
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, ClassVar, Self

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from crmgraph.events.bus import BusEvent

if TYPE_CHECKING:
    from crmgraph.runtime import Runtime

# The batch being handled; set by the runner (runner.run_batch) around its handle() calls.
BATCH: ContextVar[AsyncSession] = ContextVar("crmgraph_consumer_batch")


# What the consumer's prefetch() read for the batch being handled, by outbox id; set by the
# runner around its handle() calls.
PREFETCHED: ContextVar[Mapping[int, object]] = ContextVar(
    "crmgraph_consumer_prefetched", default=MappingProxyType({})
)


def prefetched(event: BusEvent) -> object | None:
    """What prefetch() answered for event in its batch (None: nothing)."""
    return PREFETCHED.get().get(event.id)


def batch_session() -> AsyncSession:
    """The transaction of the batch whose event handle() is handling: a consumer that writes
    rows writes them here, so they commit with the batch, exactly once (and, on SQLite, do
    not wait for the write lock the batch holds). Wrap them in session.begin_nested(): a
    failed event's rows then go, and the other events' stay."""
    return BATCH.get()


class Consumer(ABC):
    """One consumer of the outbox (crmgraph.events.consumers.runner runs it).

    handle() gets each event at least once: after a crash, or when a batch's transaction
    fails, events come again, so handling must be idempotent (`event.event_id` is unique).
    Raise crmgraph.errors.ServiceUnavailable when what the consumer talks to is down: the
    event is retried with backoff and never becomes a dead letter (the consumer pauses).
    Raise crmgraph.errors.TransientFailure when one event's call failed in a way that passes
    (a remote API's timeout or 5xx): that event is retried with backoff, never dead, and the
    others go on. Any other exception counts as a failed attempt of that event; after
    max_attempts it is a dead letter.
    """

    # Unique and stable: deliveries are stored under it (at most 64 characters).
    name: ClassVar[str]
    # Ordered: one worker at a time handles it, events in outbox id order (so per-aggregate
    # order holds), and a failed event holds back the ones after it until it succeeds or is
    # dead. Unordered: workers share its events, and a failing one holds back nothing.
    ordered: ClassVar[bool] = False
    # Events claimed per transaction; they stay locked until the batch commits.
    batch_size: ClassVar[int] = 100
    # Failed attempts before an event becomes a dead letter.
    max_attempts: ClassVar[int] = 10
    # Backoff after the n-th failed attempt: its ceiling is retry_backoff * 2**(n-1), at most
    # max_backoff, and the wait a random point in its upper half ("equal jitter").
    retry_backoff: ClassVar[float] = 0.1
    max_backoff: ClassVar[float] = 60.0
    # Whether the runner calls prefetch() before each batch's transaction.
    prefetches: ClassVar[bool] = False
    # Whether the runner first offers a batch's events to handle_all() at once.
    batches: ClassVar[bool] = False
    # The most connections of the runner's pool its background() loop holds at once: the
    # runner's pool is sized for them (runner.pool_size), so they never starve the batches.
    background_connections: ClassVar[int] = 0

    @classmethod
    def from_runtime(cls, runtime: Runtime) -> Self:
        """Build it from the process's resources (database, bus, graph store, settings)."""
        return cls()

    @abstractmethod
    async def handle(self, event: BusEvent) -> None:
        """Act on one event; an exception leaves the event to a later attempt."""

    async def handle_all(self, events: Sequence[BusEvent]) -> None:
        """For a consumer with `batches`: act on all of a batch's events at once, as handling
        them one by one in their order would (one write to a backend instead of one per
        event). Raising ServiceUnavailable pauses the consumer as handle() would; any other
        exception makes the runner handle the events one by one instead, so a bad event
        fails alone (what handle_all wrote must then be undone or harmless: it is idempotent
        like handle)."""
        for event in events:
            await self.handle(event)

    async def prefetch(
        self, sessions: async_sessionmaker[AsyncSession], events: Sequence[BusEvent]
    ) -> Mapping[int, object]:
        """For a consumer with `prefetches`: read what handling events needs from elsewhere (a
        remote API) before the batch's transaction opens, so a slow remote holds no row lock
        (nor SQLite's write lock). The runner looks at the due deliveries without locking
        them, calls this with their events (no transaction open; sessions for short reads of
        its own), then claims only those it was given; handle() finds each one's answer, by
        outbox id, with prefetched(event). An event another worker took meanwhile is simply
        not claimed. Failures belong in the answer (handle() raises them, so they count as
        that event's attempt), not raised here; none by default."""
        return MappingProxyType({})

    def must_prefetch(self, events: Sequence[BusEvent]) -> bool:
        """For a consumer with `prefetches`: does handling any of events need prefetch()?
        When not, the runner handles the batch it claimed as it is (one transaction instead
        of a look, then the claim); when so, it lets the claim go and prefetches first."""
        return True

    def background(
        self, sessions: async_sessionmaker[AsyncSession]
    ) -> Coroutine[Any, Any, None] | None:
        """Work of its own the runner keeps running beside the batches until it stops, on
        the runner's sessions, holding at most background_connections of them at once (the
        webhook consumer's sends, which must not hold a batch's transaction); none here."""
        return None

    def backoff_ceiling(self, attempts: int) -> float:
        """The longest wait after the attempts-th failed attempt."""
        return float(min(self.retry_backoff * 2 ** max(attempts - 1, 0), self.max_backoff))

    def backoff(self, attempts: int, jitter: Callable[[], float] = random.random) -> float:
        """Seconds to wait after the attempts-th failed attempt: equal jitter, half the
        ceiling plus a random part of the other half (jitter() in [0, 1)). Workers that failed
        together (a backend back up, a batch of bad events) then retry spread out instead of
        all at once, and each still waits at least half the ceiling, so a retry never comes
        at once as full jitter's zero would allow."""
        ceiling = self.backoff_ceiling(attempts)
        return ceiling / 2 + ceiling / 2 * jitter()
