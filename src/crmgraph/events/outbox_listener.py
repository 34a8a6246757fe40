"""Wakes outbox relays of every process when any process commits an outbox row.

PostgreSQL only: a statement trigger on outbox_events (migration 0005) runs
`pg_notify('crmgraph_outbox', '')`, which PostgreSQL delivers when the writing transaction
commits and never for a rollback. One LISTEN connection per relay hears it and wakes the
relay, so relays can poll rarely (the poll stays as the safety net: a notification lost while
the connection is down is caught by the next poll, and the relay polls fast until the
connection is back).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

import asyncpg
from sqlalchemy.engine import make_url

log = logging.getLogger("crmgraph.events.outbox_listener")

CHANNEL = "crmgraph_outbox"


def asyncpg_dsn(database_url: str) -> str | None:
    """The plain libpq DSN of a PostgreSQL URL; None for other databases (SQLite)."""
    url = make_url(database_url)
    if url.get_backend_name() != "postgresql":
        return None
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


class OutboxListener:
    """LISTEN on CHANNEL and call on_notify for each notification; reconnect when the
    connection drops. `connected` says whether notifications are being heard now,
    `connections` how many connections it has opened so far."""

    def __init__(self, dsn: str, on_notify: Callable[[], None], max_backoff: float = 5.0) -> None:
        self.dsn = dsn
        self.on_notify = on_notify
        self.max_backoff = max_backoff
        self.connected = False
        self.connections = 0

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
            try:
                await self._listen(conn)
                log.warning("outbox listener lost its connection; reconnecting")
            except (OSError, asyncpg.PostgresError) as exc:
                log.warning("outbox listener failed: %s", exc)
            finally:
                self.connected = False
                with contextlib.suppress(Exception):
                    await conn.close(timeout=1)

    async def _listen(self, conn: asyncpg.Connection) -> None:
        """Until the connection is lost."""
        lost = asyncio.Event()
        conn.add_termination_listener(lambda _conn: lost.set())
        await conn.add_listener(CHANNEL, lambda *_args: self.on_notify())
        self.connected = True
        self.connections += 1
        # Rows committed before LISTEN took effect would otherwise wait for a poll.
        self.on_notify()
        await lost.wait()
