"""The outbox relay: publishes committed outbox rows to the bus, in id order, at least once.

Each batch is one transaction: claim unpublished rows, publish each on
channel_for(tenant, topic), mark them published, commit. A crash (or a failed publish)
before the commit leaves the rows unpublished, so they are published again: consumers drop
duplicates by event_id. On PostgreSQL a transaction-level advisory lock lets one relay
publish at a time, so events leave in id order whichever process relays them, and
`FOR UPDATE SKIP LOCKED` keeps two relays off the same rows even without it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from broadcaster import Broadcast
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from crmgraph.db.models import OutboxEvent
from crmgraph.db.types import utcnow
from crmgraph.errors import ServiceUnavailable
from crmgraph.events import bus
from crmgraph.events.due_tasks import emit_due_tasks
from crmgraph.events.outbox_listener import OutboxListener

log = logging.getLogger("crmgraph.events.relay")

# Any constant shared by every relay: the key of the "one publisher at a time" lock.
_ADVISORY_LOCK_KEY = 0x6372_6D67_7270_6801  # "crmgrph\x01"
# Longer than the bus listener's reconnect delay, so subscribers are back before we publish.
RESUBSCRIBE_GRACE = 0.75

BatchHook = Callable[[list[bus.BusEvent]], Awaitable[None]]


class PublishFailed(Exception):
    """The bus refused an event; the batch is rolled back and retried later."""


class Relay:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        broadcast: Broadcast,
        *,
        redis_url: str,
        batch_size: int = 200,
        poll_interval: float = 0.05,
        listen_dsn: str | None = None,
        listening_poll_interval: float = 2.0,
        due_interval: float = 1.0,
        max_backoff: float = 5.0,
    ) -> None:
        self.sessions = sessions
        self.broadcast = broadcast
        self.redis_url = redis_url
        self.batch_size = batch_size
        self.poll_interval = poll_interval
        self.listening_poll_interval = listening_poll_interval
        # PostgreSQL: woken by NOTIFY from any process's commit, so polling can be rare.
        self.listener = None if listen_dsn is None else OutboxListener(listen_dsn, self.wake)
        self.due_interval = due_interval
        self.max_backoff = max_backoff
        # A fault point for tests: awaited after publishing a batch, before its commit.
        self.before_commit: BatchHook | None = None
        self._wake = asyncio.Event()
        self._waiting: float | None = None

    def wake(self) -> None:
        """Look for new rows now instead of at the next poll."""
        self._wake.set()

    def wake_after_write(self) -> None:
        """A write of this process committed. A follower leaves it to the leader, which the
        outbox trigger's NOTIFY wakes (crmgraph.events.outbox_listener)."""
        if self.listener is None or not self.listener.following:
            self._wake.set()

    async def relay_batch(self) -> int:
        """Publish one batch; returns its size (0 when another relay holds the turn)."""
        async with self.sessions() as session, session.begin():
            postgres = session.get_bind().dialect.name == "postgresql"
            if postgres and not await session.scalar(
                select(func.pg_try_advisory_xact_lock(_ADVISORY_LOCK_KEY))
            ):
                return 0
            stmt = (
                select(OutboxEvent)
                .where(OutboxEvent.published_at.is_(None))
                .order_by(OutboxEvent.id)
                .limit(self.batch_size)
            )
            if postgres:
                stmt = stmt.with_for_update(skip_locked=True)
            rows = (await session.scalars(stmt)).all()
            if not rows:
                return 0
            events = [bus.BusEvent.from_row(row) for row in rows]
            for event in events:
                try:
                    await self.broadcast.publish(
                        bus.channel_for(event.tenant_id, event.topic), event.encode()
                    )
                except Exception as exc:  # whatever the backend raises, retry the batch
                    raise PublishFailed(str(exc) or type(exc).__name__) from exc
            if self.before_commit is not None:
                await self.before_commit(events)
            await session.execute(
                update(OutboxEvent)
                .where(OutboxEvent.id.in_([e.id for e in events]))
                .values(published_at=utcnow())
            )
        return len(events)

    async def emit_due_tasks(self) -> int:
        async with self.sessions() as session, session.begin():
            return await emit_due_tasks(session)

    @property
    def asleep(self) -> float | None:
        """The idle interval the relay is waiting out with no wake-up pending; None while it
        works or is about to. Lets a test wait until only a wake-up can bring an event out."""
        return None if self._wake.is_set() else self._waiting

    @property
    def idle_interval(self) -> float:
        """How long to wait for a wake-up before looking anyway."""
        if self.listener is not None and (self.listener.connected or self.listener.following):
            return self.listening_poll_interval
        return self.poll_interval

    async def run(self) -> None:
        """Relay until cancelled (with its NOTIFY listener, when it has one)."""
        if self.listener is None:
            await self._run()
            return
        listening = asyncio.create_task(self.listener.run(), name="crmgraph-outbox-listener")
        try:
            await self._run()
        finally:
            listening.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await listening

    async def _run(self) -> None:
        """Failures are logged once per outage and retried with exponential backoff; rows
        stay in the outbox meanwhile."""
        backoff = 0.0
        failing: str | None = None
        loop = asyncio.get_running_loop()
        next_due = loop.time()
        while True:
            try:
                if failing == "bus":
                    await bus.ping(self.redis_url)
                    await asyncio.sleep(RESUBSCRIBE_GRACE)
                if loop.time() >= next_due:
                    next_due = loop.time() + self.due_interval
                    await self.emit_due_tasks()
                # Cleared before the batch looks, not after: a wake-up that comes while it
                # runs is for a row it may not have seen, and must bring another look.
                self._wake.clear()
                count = await self.relay_batch()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                kind = "bus" if isinstance(exc, PublishFailed | ServiceUnavailable) else "db"
                if failing is None:
                    log.warning("outbox relay paused, %s unavailable: %s", kind, exc)
                failing = kind
                backoff = min(max(backoff * 2, 0.1), self.max_backoff)
                await asyncio.sleep(backoff)
                continue
            if failing is not None:
                log.warning("outbox relay resumed")
                failing, backoff = None, 0.0
            if count < self.batch_size:
                # asyncio.timeout, not wait_for: Python 3.11's wait_for can swallow a
                # cancellation that arrives as the wake-up does, and the relay would then
                # outlive its server's shutdown.
                self._waiting = self.idle_interval
                try:
                    with contextlib.suppress(TimeoutError):
                        async with asyncio.timeout(self._waiting):
                            await self._wake.wait()
                finally:
                    self._waiting = None


async def serve_relay(relay: Relay, stop: asyncio.Event) -> None:
    """Run the relay until stop is set."""
    task = asyncio.create_task(relay.run(), name="crmgraph-relay")
    try:
        await stop.wait()
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
