"""Engine and session factory for PostgreSQL (asyncpg) or SQLite (aiosqlite)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import event, text
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from crmgraph.config import Settings, mask_url
from crmgraph.db import direct_reads
from crmgraph.db.sealed import attach
from crmgraph.errors import ServiceUnavailable
from crmgraph.secrets_at_rest import keyring_for

CONNECT_TIMEOUT_SECONDS = 5.0


def default_pool_size(settings: Settings, *, reads: bool = False) -> int:
    """The size of the read pool (DB_POOL_SIZE, less what compiled reads take on PostgreSQL:
    crmgraph.db.direct_reads) or of the write pool (half DB_POOL_SIZE, at least 2)."""
    if not reads:
        return max(2, settings.db_pool_size // 2)
    if direct_reads.applies(settings):
        return max(1, settings.db_pool_size - direct_reads.direct_size(settings))
    return settings.db_pool_size


def create_engine(
    settings: Settings, *, reads: bool = False, pool_size: int | None = None
) -> AsyncEngine:
    """The engine for writes (and anything transactional), or with reads=True the engine for
    read-only requests: autocommit, so a loader's SELECT is one round trip instead of
    BEGIN + SELECT + ROLLBACK. Stale pooled connections are dropped at checkout when the
    driver has seen them close (free: a restarted server or an ended backend closes the
    socket, which the event loop reads while the connection sits in the pool). Neither
    engine pings before a checkout: SQLAlchemy's pre-ping on asyncpg is BEGIN, `;` and
    ROLLBACK, three round trips before every transaction, and took about a sixth of the
    REST shim's time to a webhook's 202 (bench/README.md). pool_size: the pool's size (default
    DB_POOL_SIZE); it never overflows: past it a request waits for a connection, because
    connections opened beyond a planned budget run PostgreSQL out of them (`too many
    clients`) under load, which failed requests instead of delaying them."""
    engine = _create_engine(settings, reads=reads, pool_size=pool_size)
    attach(engine, keyring_for(settings))  # what crmgraph.db.sealed columns use
    return engine


def _create_engine(settings: Settings, *, reads: bool, pool_size: int | None) -> AsyncEngine:
    url = make_url(settings.database_url)
    options: dict[str, Any] = {"echo": settings.sql_echo}
    if reads:
        options["isolation_level"] = "AUTOCOMMIT"
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:":
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, **options)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        if not reads:
            event.listen(engine.sync_engine, "connect", _sqlite_own_begin)
            event.listen(engine.sync_engine, "begin", _sqlite_begin_immediate)
        return engine
    size = default_pool_size(settings, reads=reads) if pool_size is None else pool_size
    # A server that does not answer fails a new connection in seconds (asyncpg waits 60 by
    # default): the request gets SERVICE_UNAVAILABLE instead of hanging.
    options["connect_args"] = {"timeout": CONNECT_TIMEOUT_SECONDS}
    engine = create_async_engine(url, pool_size=size, max_overflow=0, **options)
    event.listen(engine.sync_engine, "checkout", _drop_if_closed)
    return engine


def _drop_if_closed(dbapi_connection: Any, _record: object, _proxy: object) -> None:
    # The driver notices a server-side close (restart, pg_terminate_backend) without a
    # round trip; DisconnectionError makes the pool open a fresh connection instead.
    if dbapi_connection.driver_connection.is_closed():
        raise sa_exc.DisconnectionError("connection closed by the server")


def _sqlite_pragmas(dbapi_connection: object, _record: object) -> None:
    # WAL lets the relay and request handlers read while one writes; FKs are off by default.
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def _sqlite_own_begin(dbapi_connection: Any, _record: object) -> None:
    # The driver would BEGIN only before the first write, after the transaction's reads;
    # _sqlite_begin_immediate begins instead.
    dbapi_connection.isolation_level = None


def _sqlite_begin_immediate(connection: Any) -> None:
    # SQLite has one writer at a time, and FOR UPDATE does not exist: a write transaction
    # takes that write lock before its first read, so that concurrent writers (a second
    # moveDealStage of one deal) wait (busy_timeout) and then read what the first committed.
    # On the driver's cursor, as the driver's own BEGIN was: not one more statement to count.
    cursor = connection.connection.dbapi_connection.cursor()
    cursor.execute("BEGIN IMMEDIATE")
    cursor.close()


def create_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    # expire_on_commit=False: objects returned by a mutation stay readable after its commit
    # without an implicit (and under asyncio, forbidden) lazy refresh.
    return async_sessionmaker(engine, expire_on_commit=False)


async def ping(engine: AsyncEngine) -> str:
    """The server version; raises ServiceUnavailable naming the URL (password masked)."""
    try:
        async with engine.connect() as conn:
            if engine.dialect.name == "sqlite":
                version = (await conn.execute(text("select sqlite_version()"))).scalar_one()
            else:
                version = (await conn.execute(text("show server_version"))).scalar_one()
    except Exception as exc:  # any driver or network failure means the same to the caller
        name = "SQLite" if engine.dialect.name == "sqlite" else "PostgreSQL"
        url = mask_url(engine.url.render_as_string(hide_password=False))
        raise ServiceUnavailable(name, url, _reason(exc)) from exc
    return str(version)


def _reason(exc: BaseException) -> str:
    message = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    return message[0] if message else type(exc).__name__
