"""Wakes one consumer runner, the leader, whenever any process commits an outbox row.

PostgreSQL only: a statement trigger on outbox_events (migration 0005) runs
`pg_notify('crmgraph_outbox', '')`, which PostgreSQL delivers when the writing transaction
commits and never for a rollback. Every process running consumers (events.consumers.runner)
has a listener; the one holding a session advisory lock is the leader: it LISTENs and its
runner hands the events to the consumers at once. The others are followers: they poll rarely,
as a safety net, and try for the lock at each poll, so when the leader's process dies (its
session, and with it the lock, ends) another takes over within a poll. Waking all runners on
every commit would have them all contend for the same deliveries (a transaction each, in
every process, per write).

A runner whose listener cannot reach PostgreSQL polls fast until it can.

The leader's own process has already woken the consumers a commit of its own concerns
(runner.wake_after_write): it says so with expect(backend pid), and the NOTIFY of that
backend's commit is then skipped rather than waking every consumer a second time. The
NOTIFY may be heard before the writer gets to say so: one from a backend of this process
(events.written.own_backend) waits GRACE seconds for its expect() before it wakes everyone.
An expectation left unpaired for EXPECT_FOR seconds is dropped. At worst a notification of
this process that nobody announced is taken for an announced one within those windows: what
it wrote then waits for a poll (never lost); every other notification wakes as before.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Callable

import asyncpg
from sqlalchemy.engine import make_url

from crmgraph.events.written import own_backend

log = logging.getLogger("crmgraph.events.outbox_listener")

CHANNEL = "crmgraph_outbox"
# Any constant shared by every listener: the key of the leader's session lock.
LEADER_LOCK_KEY = 0x6372_6D67_7270_6802  # "crmgrph\x02"
EXPECT_FOR = 1.0  # seconds
GRACE = 0.05  # seconds


def asyncpg_dsn(database_url: str) -> str | None:
    """The plain libpq DSN of a PostgreSQL URL; None for other databases (SQLite)."""
    url = make_url(database_url)
    if url.get_backend_name() != "postgresql":
        return None
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


class OutboxListener:
    """Become the leader and LISTEN on CHANNEL, calling on_notify for each notification;
    reconnect when the connection drops. `connected` says whether this listener is the
    leader and hearing notifications now, `following` whether another one is (this one
    tries again every follow_interval), `connections` how many times it became leader."""

    def __init__(
        self,
        dsn: str,
        on_notify: Callable[[], None],
        max_backoff: float = 5.0,
        follow_interval: float = 2.0,
    ) -> None:
        self.dsn = dsn
        self.on_notify = on_notify
        self.max_backoff = max_backoff
        self.follow_interval = follow_interval
        self.connected = False
        self.following = False
        self.connections = 0
        self.skipped = 0
        # Expected notifications not heard yet (backend pid, when), and those heard from a
        # backend of this process before their expectation, each with its deferred wake.
        self._expected: deque[tuple[int, float]] = deque()
        self._early: dict[int, deque[asyncio.TimerHandle]] = {}

    def expect(self, backend: int) -> None:
        """A commit of backend's has woken what it concerns: skip its notification."""
        if not self.connected:
            return
        early = self._early.get(backend)
        if early:
            early.popleft().cancel()
            self.skipped += 1
            return
        self._expected.append((backend, time.monotonic()))

    def _heard(self, backend: int) -> None:
        if _pair(self._expected, backend):
            self.skipped += 1
        elif own_backend(backend):
            handle = asyncio.get_running_loop().call_later(GRACE, self._late, backend)
            self._early.setdefault(backend, deque()).append(handle)
        else:
            self.on_notify()

    def _late(self, backend: int) -> None:
        self._early[backend].popleft()
        self.on_notify()

    async def run(self) -> None:
        backoff = 0.0
        while True:
            try:
                conn = await asyncpg.connect(self.dsn)
            except (OSError, asyncpg.PostgresError) as exc:
                if backoff == 0.0:
                    log.warning("outbox listener cannot connect: %s", exc)
                backoff = min(max(backoff * 2, 0.1), self.max_backoff)
                await asyncio.sleep(backoff)
                continue
            backoff = 0.0
            leader = False
            try:
                leader = bool(
                    await conn.fetchval("SELECT pg_try_advisory_lock($1)", LEADER_LOCK_KEY)
                )
                if leader:
                    self.following = False
                    await self._listen(conn)
                    log.warning("outbox listener lost its connection; reconnecting")
            except (OSError, asyncpg.PostgresError) as exc:
                log.warning("outbox listener failed: %s", exc)
            finally:
                self.connected = False
                if self._early:  # what they would have woken must not wait for a poll
                    self.on_notify()
                self._forget()
                with contextlib.suppress(Exception):
                    await conn.close(timeout=1)
            if not leader:
                self.following = True
                await asyncio.sleep(self.follow_interval)

    async def _listen(self, conn: asyncpg.Connection) -> None:
        """Until the connection is lost."""
        lost = asyncio.Event()
        conn.add_termination_listener(lambda _conn: lost.set())
        await conn.add_listener(CHANNEL, lambda _conn, pid, *_args: self._heard(pid))
        self._forget()
        self.connected = True
        self.connections += 1
        # Rows committed before LISTEN took effect would otherwise wait for a poll.
        self.on_notify()
        await lost.wait()

    def _forget(self) -> None:
        for handles in self._early.values():
            for handle in handles:
                handle.cancel()
        self._early.clear()
        self._expected.clear()


def _pair(waiting: deque[tuple[int, float]], backend: int) -> bool:
    """Take backend's oldest entry from waiting, after dropping the stale ones."""
    stale = time.monotonic() - EXPECT_FOR
    while waiting and waiting[0][1] < stale:
        waiting.popleft()
    for entry in waiting:
        if entry[0] == backend:
            waiting.remove(entry)
            return True
    return False
