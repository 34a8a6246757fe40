"""The consumer runner: hands each consumer its pending outbox events, in batches.

Each consumer runs in a task of its own, so a slow or failing one never holds back another.
A batch is one transaction: (for a consumer that prefetches, first look at its due
deliveries without locking them and let it read what they need from elsewhere, with no
transaction open: Consumer.prefetch) claim the consumer's due deliveries (FOR UPDATE SKIP LOCKED on
PostgreSQL, so workers share an unordered consumer's events without taking the same one;
an ordered consumer first takes a transaction advisory lock, so one worker at a time sends
its events, in id order), handle each, delete the rows handled and record the failures
(attempts, last error, next attempt with exponential backoff, a dead letter after the
consumer's max_attempts), commit. A crash before the commit leaves the rows pending and
their locks go with the connection: another worker handles them again (at least once).

Wake-ups keep latency low: on PostgreSQL the runner whose OutboxListener leads hears the
outbox trigger's NOTIFY at every commit; a write in this process wakes its own runner; the
others poll. A write of this process (a request's, or a batch's own events) wakes only the
consumers it gave deliveries to (events.written), once: the leader then skips that commit's
NOTIFY. A NOTIFY says nothing of what was written, so one from another process wakes all.
The due-task scan (events.due_tasks) runs here too.

stop() ends it gracefully: no consumer claims another batch, a batch in flight finishes
and commits, then run() returns (drain_runner bounds the wait, then cancels: a batch cut
short rolls back and its deliveries stay pending, for another worker).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from crmgraph.db.types import utcnow
from crmgraph.events import bus, deliveries, written
from crmgraph.events.consumers.base import BATCH, PREFETCHED, Consumer
from crmgraph.events.consumers.handling import handle_claimed
from crmgraph.events.due_tasks import emit_due_tasks
from crmgraph.events.outbox_listener import OutboxListener

log = logging.getLogger("crmgraph.events.consumers")

# A fault point for tests: awaited with the consumer's name and the events it handled in a
# batch, after handling them and before the commit.
BatchHook = Callable[[str, list[bus.BusEvent]], Awaitable[None]]
RETRY_SLACK = 0.01  # seconds


@dataclass(frozen=True)
class Batch:
    """What one batch did: how many deliveries it claimed, and when to look again at the
    earliest if some failed (retry_in) or the consumer's backend is down (pause)."""

    claimed: int = 0
    retry_in: float | None = None
    pause: float | None = None


@dataclass
class _Lane:
    consumer: Consumer
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    waiting: float | None = None


def pool_size(consumers: Sequence[type[Consumer]]) -> int:
    """The runner's connection pool: one per consumer for its batches, each consumer's
    background share, one for the due-task scan (its NOTIFY listener has its own)."""
    return sum(1 + consumer.background_connections for consumer in consumers) + 1


class _MustPrefetch(Exception):
    """A batch claimed before prefetching turned out to need it: roll it back and start over."""


class ConsumerRunner:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        consumers: Sequence[Consumer],
        *,
        poll_interval: float = 0.05,
        listen_dsn: str | None = None,
        listening_poll_interval: float = 2.0,
        due_interval: float = 1.0,
        max_backoff: float = 5.0,
    ) -> None:
        self.sessions = sessions
        self.consumers = list(consumers)
        self.poll_interval = poll_interval
        self.listening_poll_interval = listening_poll_interval
        # PostgreSQL: woken by NOTIFY from any process's commit, so polling can be rare.
        self.listener = None if listen_dsn is None else OutboxListener(listen_dsn, self.wake)
        self.due_interval = due_interval
        self.max_backoff = max_backoff
        self.before_commit: BatchHook | None = None
        self._lanes = [_Lane(consumer) for consumer in self.consumers]
        # Batches each consumer claimed, and how many of them found nothing.
        self.claims: Counter[str] = Counter()
        self.empty_claims: Counter[str] = Counter()
        # Per prefetching consumer: did its last batch need the prefetch (start with it)?
        self._prefetch_first: dict[str, bool] = {}
        self._stopping = asyncio.Event()

    def stop(self) -> None:
        """Claim no more batches; run() returns once the batches in flight have committed."""
        self._stopping.set()
        self.wake()

    def wake(self, consumers: Collection[str] | None = None) -> None:
        """Look for new deliveries now instead of at the next poll: those of consumers
        (default: every consumer's)."""
        for lane in self._lanes:
            if consumers is None or lane.consumer.name in consumers:
                lane.wake.set()

    def wake_after_write(self, done: written.Written | None = None) -> None:
        """A write of this process committed: done says what it wrote (events.written;
        None: unknown, wake every consumer). A follower leaves it to the leader, which the
        outbox trigger's NOTIFY wakes (crmgraph.events.outbox_listener)."""
        if self.listener is not None and self.listener.following:
            return
        if done is None:
            self.wake()
            return
        if done.consumers:
            self.wake(done.consumers)
            if self.listener is not None and done.backend is not None:
                self.listener.expect(done.backend)

    async def run_batch(self, consumer: Consumer) -> Batch:
        """Claim, handle and settle one batch of consumer's deliveries in one transaction."""
        first = self._prefetch_first.get(consumer.name, False)
        try:
            return await self._run_batch(consumer, prefetch_first=first)
        except _MustPrefetch:
            self._prefetch_first[consumer.name] = True
            return await self._run_batch(consumer, prefetch_first=True)

    async def _run_batch(self, consumer: Consumer, *, prefetch_first: bool) -> Batch:
        # A prefetching consumer's batch is claimed first, and given up (rolled back) for a
        # look and its prefetch only when one of its events needs it (must_prefetch).
        only: list[int] | None = None
        fetched: Mapping[int, object] = MappingProxyType({})
        if consumer.prefetches and prefetch_first:
            only, fetched = await self.prefetch(consumer)
            if not only:
                return Batch()
        async with self.sessions() as session, session.begin():
            if consumer.ordered and not await deliveries.take_turn(session, consumer.name):
                return Batch()  # another worker has the turn
            claimed = await deliveries.claim(
                session, consumer.name, consumer.batch_size, ordered=consumer.ordered,
                now=utcnow(), only=only,
            )  # fmt: skip
            if (
                consumer.prefetches
                and only is None
                and claimed
                and consumer.must_prefetch([bus.BusEvent.from_row(item.event) for item in claimed])
            ):
                raise _MustPrefetch
            batch, prefetch = BATCH.set(session), PREFETCHED.set(fetched)
            try:
                handled, retry_in, pause = await handle_claimed(consumer, claimed)
            finally:
                BATCH.reset(batch)
                PREFETCHED.reset(prefetch)
            if self.before_commit is not None:
                await self.before_commit(consumer.name, handled)
            await deliveries.delivered(session, consumer.name, [e.id for e in handled])
        self.claims[consumer.name] += 1
        if not claimed:
            self.empty_claims[consumer.name] += 1
        # The batch's own events (a mapped record's contact.created) go to their consumers now.
        done = written.taken(session)
        if done.consumers:
            self.wake_after_write(done)
        return Batch(len(claimed), retry_in, pause)

    async def prefetch(self, consumer: Consumer) -> tuple[list[int], Mapping[int, object]]:
        """The outbox ids of the consumer's due deliveries, seen in a short transaction that
        locks nothing, and what its prefetch() read for them with no transaction open."""
        async with self.sessions() as session, session.begin():
            seen = await deliveries.claim(
                session, consumer.name, consumer.batch_size, ordered=consumer.ordered,
                now=utcnow(), lock=False,
            )  # fmt: skip
            events = [bus.BusEvent.from_row(item.event) for item in seen]
        if not events:
            return [], MappingProxyType({})
        self._prefetch_first[consumer.name] = consumer.must_prefetch(events)
        return [event.id for event in events], await consumer.prefetch(self.sessions, events)

    async def emit_due_tasks(self) -> int:
        async with self.sessions() as session, session.begin():
            return await emit_due_tasks(session)

    @property
    def asleep(self) -> float | None:
        """The idle interval every consumer is waiting out with no wake-up pending; None
        while one works or is about to. Lets a test wait until only a wake-up can bring an
        event out."""
        waits = {None if lane.wake.is_set() else lane.waiting for lane in self._lanes}
        return waits.pop() if len(waits) == 1 else None

    @property
    def idle_interval(self) -> float:
        """How long to wait for a wake-up before looking anyway."""
        if self.listener is not None and (self.listener.connected or self.listener.following):
            return self.listening_poll_interval
        return self.poll_interval

    async def run(self) -> None:
        """Run every consumer, the due-task scan and the NOTIFY listener until cancelled."""
        work = [self._consume(lane) for lane in self._lanes]
        work.extend(job for c in self.consumers if (job := c.background(self.sessions)) is not None)
        work.append(self._scan_due_tasks())
        if self.listener is not None:
            work.append(self.listener.run())
        tasks = [asyncio.create_task(job) for job in work]
        lanes = tasks[: len(self._lanes)]
        try:
            # The lanes end only after stop(); any task's failure ends the runner.
            waiting = set(tasks)
            while not all(lane.done() for lane in lanes):
                done, waiting = await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
                for task in done:
                    task.result()
        finally:
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    async def _consume(self, lane: _Lane) -> None:
        """One consumer's loop. A database failure or its backend being down is logged once
        per outage and retried with backoff; its deliveries stay pending meanwhile."""
        name = lane.consumer.name
        backoff = 0.0
        failing: str | None = None
        while not self._stopping.is_set():
            # Cleared before the batch looks, not after: a wake-up that comes while it
            # runs is for a row it may not have seen, and must bring another look.
            lane.wake.clear()
            try:
                batch = await self.run_batch(lane.consumer)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if failing is None:
                    log.warning("consumer %s paused, database unavailable: %s", name, exc)
                failing = "database"
                backoff = min(max(backoff * 2, 0.1), self.max_backoff)
                await self._nap(backoff)
                continue
            backoff = 0.0
            if batch.pause is not None:
                if failing is None:
                    log.warning("consumer %s paused, its backend is unavailable", name)
                failing = "backend"
                # A little past the retry time: the loop's timers may fire a clock tick early,
                # and a claim before it would find nothing due and wait a whole poll.
                await self._nap(batch.pause + RETRY_SLACK)
                continue
            if failing is not None and batch.claimed:
                log.warning("consumer %s resumed", name)
                failing = None
            if batch.claimed < lane.consumer.batch_size or batch.retry_in is not None:
                await self._idle(lane, batch.retry_in)

    async def _nap(self, seconds: float) -> None:
        """Sleep, or less when stop() comes."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await self._stopping.wait()

    async def _idle(self, lane: _Lane, retry_in: float | None) -> None:
        # asyncio.timeout, not wait_for: Python 3.11's wait_for can swallow a cancellation
        # that arrives as the wake-up does, and the runner would then outlive its server.
        interval = self.idle_interval
        lane.waiting = interval if retry_in is None else min(interval, retry_in + RETRY_SLACK)
        try:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(lane.waiting):
                    await lane.wake.wait()
        finally:
            lane.waiting = None

    async def _scan_due_tasks(self) -> None:
        failing = False
        while True:
            try:
                if await self.emit_due_tasks():
                    self.wake_after_write()
                failing = False
            except Exception as exc:
                if not failing:
                    log.warning("due-task scan paused, database unavailable: %s", exc)
                failing = True
            await asyncio.sleep(self.due_interval)


async def serve_runner(
    runner: ConsumerRunner, stop: asyncio.Event, *, drain_seconds: float | None = None
) -> None:
    """Run the runner until stop is set, then drain it (drain_runner)."""
    task = asyncio.create_task(runner.run(), name="crmgraph-consumers")
    try:
        await stop.wait()
    finally:
        await drain_runner(runner, task, drain_seconds)


async def drain_runner(
    runner: ConsumerRunner, task: asyncio.Task[None], drain_seconds: float | None
) -> None:
    """Stop runner (running as task) gracefully: its batches in flight commit, within
    drain_seconds (None: however long); past that it is cancelled and they roll back."""
    runner.stop()
    try:
        async with asyncio.timeout(drain_seconds):
            await asyncio.shield(task)
    except TimeoutError:
        log.warning("consumers still busy after %s s: cancelled, their batches roll back",
                    drain_seconds)  # fmt: skip
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
