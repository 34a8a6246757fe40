"""crmgraph.db.direct_reads, the compiled reads' asyncpg connections, on a real PostgreSQL:
a connection the server ended is replaced without the caller noticing; a cancelled statement
stops on the server and its connection serves the next one; a server that does not answer is
ConnectionError, which the subgraphs answer as SERVICE_UNAVAILABLE; observers see every
statement."""

from __future__ import annotations

import asyncio
import time

import asyncpg
import pytest

from crmgraph.config import Settings
from crmgraph.db.direct_reads import DirectReads
from crmgraph.db.errors import is_unreachable
from tests.ports import free_port


def dsn(settings: Settings) -> str:
    return settings.database_url.replace("postgresql+asyncpg://", "postgresql://", 1)


async def backends(settings: Settings, name: str) -> list[int]:
    connection = await asyncpg.connect(dsn(settings))
    try:
        rows = await connection.fetch(
            "SELECT pid FROM pg_stat_activity WHERE application_name = $1", name
        )
        return [row["pid"] for row in rows]
    finally:
        await connection.close()


async def sleeping(settings: Settings, name: str) -> bool:
    connection = await asyncpg.connect(dsn(settings))
    try:
        return bool(await connection.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1"
            " AND state = 'active' AND query LIKE '%pg_sleep%'", name,
        ))  # fmt: skip
    finally:
        await connection.close()


def reads_named(settings: Settings, name: str, size: int = 2) -> DirectReads:
    return DirectReads(f"{settings.database_url}?application_name={name}", size)


async def test_observers_see_each_statement_and_the_text_comes_back(
    pg_settings: Settings,
) -> None:
    reads = reads_named(pg_settings, "direct-observed")
    seen: list[str] = []
    reads.observers.append(seen.append)
    try:
        assert await reads.fetch_text("SELECT $1::int + 1", [41]) == "42"
        assert await reads.fetch_text("SELECT NULL::text", []) is None
    finally:
        await reads.close()
    assert seen == ["SELECT $1::int + 1", "SELECT NULL::text"]


async def test_a_connection_the_server_ended_is_replaced(pg_settings: Settings) -> None:
    name = "direct-terminated"
    reads = reads_named(pg_settings, name, size=1)
    try:
        assert await reads.fetch_text("SELECT 'one'", []) == "one"
        (pid,) = await backends(pg_settings, name)
        admin = await asyncpg.connect(dsn(pg_settings))
        try:
            assert await admin.fetchval("SELECT pg_terminate_backend($1)", pid)
        finally:
            await admin.close()
        await asyncio.sleep(0.5)  # the loop reads the server's close
        assert await reads.fetch_text("SELECT 'two'", []) == "two"
        assert (await backends(pg_settings, name)) not in ([], [pid])
    finally:
        await reads.close()


async def test_a_cancelled_statement_stops_on_the_server(pg_settings: Settings) -> None:
    name = "direct-cancelled"
    reads = reads_named(pg_settings, name, size=1)
    try:
        slow = asyncio.create_task(reads.fetch_text("SELECT pg_sleep(30)::text", []))
        await asyncio.sleep(0.5)
        slow.cancel()
        with pytest.raises(asyncio.CancelledError):
            await slow
        # The statement stops on the server too (closing the socket would not stop it).
        deadline = time.monotonic() + 5
        still = await sleeping(pg_settings, name)
        while still and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
            still = await sleeping(pg_settings, name)
        assert not still
        assert await reads.fetch_text("SELECT 'after'", []) == "after"
    finally:
        await reads.close()


async def test_a_server_that_does_not_answer_is_unreachable() -> None:
    reads = DirectReads(f"postgresql+asyncpg://crmgraph:x@127.0.0.1:{free_port()}/none", 1)
    with pytest.raises(ConnectionError) as raised:
        await reads.fetch_text("SELECT 1", [])
    assert is_unreachable(raised.value)


async def test_an_sql_error_keeps_the_connection(pg_settings: Settings) -> None:
    name = "direct-sql-error"
    reads = reads_named(pg_settings, name, size=1)
    try:
        assert await reads.fetch_text("SELECT 'first'", []) == "first"
        (pid,) = await backends(pg_settings, name)
        with pytest.raises(asyncpg.PostgresError):
            await reads.fetch_text("SELECT 1/0", [])
        assert await reads.fetch_text("SELECT 'still'", []) == "still"
        assert await backends(pg_settings, name) == [pid]
    finally:
        await reads.close()


async def test_the_sessions_plan_generically_and_price_random_reads_as_cached(
    pg_settings: Settings,
) -> None:
    reads = reads_named(pg_settings, "direct-settings")
    try:
        assert await reads.fetch_text("SELECT current_setting('plan_cache_mode')", []) == (
            "force_generic_plan"
        )
        assert await reads.fetch_text("SELECT current_setting('random_page_cost')", []) == "1.1"
        assert await backends(pg_settings, "direct-settings")  # the URL's name still applies
    finally:
        await reads.close()
