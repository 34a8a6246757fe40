"""Compiled reads' PostgreSQL connections: asyncpg itself, without SQLAlchemy's wrapper.

A compiled read (crmgraph.compiled) is one autocommit SELECT with positional parameters that
returns one text value. Through SQLAlchemy's engine (checkout, exec_driver_sql, result,
checkin, each through a greenlet) that cost about 400 us of CPU per request against about
40 us for the same prepared statement on an asyncpg connection (bench/README.md, "CPU per
request"): most of a deal by id's time in the subgraph. So compiled reads take connections
from this small set instead: asyncpg's own statement cache prepares each plan's SQL once per
connection, and nothing needs resetting between requests (one SELECT, no transaction, no
session state). asyncpg's Pool is not used: it resets every connection it takes back, a
round trip per request.

The connections are part of the read budget (DB_POOL_SIZE; crmgraph.db.engine's read pool
gets the rest): opened when first needed, at most `size`, a request waits when all are
busy. A connection that was lost is closed and replaced when next needed; after an SQL error
or a cancellation (a client that went away) it stays: asyncpg has PostgreSQL cancel the
statement, where closing the socket would leave the query running on the server. A database
that does not answer raises ConnectionError, which crmgraph.db.errors.is_unreachable knows
(SERVICE_UNAVAILABLE).

Two planner settings are the connections' own (SESSION_SETTINGS). Every compiled statement is
a parameterised lookup of the caller's tenant's rows by an index, so a generic plan fits
every tenant: with PostgreSQL's default choice each execution of the 50-deal page planned
again (0.4-0.9 ms, "bind" in the server's log, against 0.9 ms to execute). And the data they
read is cached, so a random page costs about what a sequential one does (1.1, the usual
setting for SSDs): at the default 4.0 the page looked each deal's stage up by a sequential
scan of the stages table (about 0.4 ms of the page's 1.5 ms) rather than by its key.

SQLAlchemy's events do not see these statements: `observers` are called with each one's
text before it runs (tests count statements with them).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Sequence
from typing import Any

import asyncpg
from sqlalchemy.engine import make_url

from crmgraph.config import Settings

CONNECT_TIMEOUT_SECONDS = 5.0
# The planner settings of compiled reads' sessions (see the module's docstring).
SESSION_SETTINGS = {"plan_cache_mode": "force_generic_plan", "random_page_cost": "1.1"}
# Errors after which a connection is not trusted again.
_LOST = (
    OSError,
    asyncio.TimeoutError,
    asyncpg.InterfaceError,
    asyncpg.ConnectionDoesNotExistError,
    asyncpg.PostgresConnectionError,
)


def direct_size(settings: Settings) -> int:
    """How many of a process's DB_POOL_SIZE read connections compiled reads take: half."""
    return max(1, settings.db_pool_size // 2)


def applies(settings: Settings) -> bool:
    """Compiled reads run on PostgreSQL only (crmgraph.compiled)."""
    return settings.compiled_reads and make_url(settings.database_url).get_backend_name() == (
        "postgresql"
    )


class DirectReads:
    def __init__(self, database_url: str, size: int) -> None:
        url = make_url(database_url).set(drivername="postgresql")
        self._dsn = url.render_as_string(hide_password=False)
        self._free: list[asyncpg.Connection] = []
        self._slots = asyncio.Semaphore(size)  # at most `size` connections, all in use
        self.observers: list[Callable[[str], None]] = []

    async def fetch_text(self, sql: str, parameters: Sequence[Any]) -> str | None:
        """The first column of the statement's first row (None without a row)."""
        for observe in self.observers:
            observe(sql)
        async with self._slots:
            connection = await self._take()
            try:
                value = await connection.fetchval(sql, *parameters)
            except _LOST as exc:
                connection.terminate()
                raise ConnectionError(f"PostgreSQL connection lost: {exc}") from exc
            finally:
                if not connection.is_closed():
                    # Usable after an SQL error, and after a cancellation too: asyncpg sends
                    # PostgreSQL a cancel request, and the next statement waits for it to end.
                    self._free.append(connection)
        return None if value is None else str(value)

    async def _take(self) -> asyncpg.Connection:
        while self._free:
            connection = self._free.pop()
            if not connection.is_closed():  # else the server ended it while it waited here
                return connection
        try:
            connection = await asyncpg.connect(
                self._dsn, timeout=CONNECT_TIMEOUT_SECONDS, server_settings=SESSION_SETTINGS
            )
        except _LOST as exc:
            raise ConnectionError(f"PostgreSQL does not answer: {exc}") from exc
        return connection

    async def close(self) -> None:
        free, self._free = self._free, []
        for connection in free:
            with contextlib.suppress(Exception):
                await connection.close(timeout=2)
