"""The write engine: a transaction on a pooled connection is BEGIN, its statements and COMMIT,
with no ping before it (SQLAlchemy's pre-ping was three more round trips per transaction:
BEGIN, `;`, ROLLBACK); a connection whose backend the server ended is still never used."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text

from crmgraph.config import Settings
from crmgraph.db.engine import create_engine


async def test_a_write_transaction_sends_no_ping(pg_settings: Settings) -> None:
    engine = create_engine(pg_settings, pool_size=1)
    sent: list[str] = []

    def log(record: Any) -> None:
        sent.append(record.query.strip().rstrip(";").upper())

    try:
        async with engine.begin() as conn:  # the pool's one connection, opened
            raw = (await conn.get_raw_connection()).driver_connection
            raw.add_query_logger(log)
        async with engine.begin() as conn:  # ... and checked out again
            await conn.execute(text("SELECT 1"))
        raw.remove_query_logger(log)
    finally:
        await engine.dispose()
    # SELECT 1 runs as a prepared statement, which the logger does not see.
    assert sent == ["BEGIN", "COMMIT"]


async def test_a_connection_the_server_ended_is_not_used(pg_settings: Settings) -> None:
    engine = create_engine(pg_settings, pool_size=1)
    try:
        async with engine.begin() as conn:
            pid = (await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one()
        killer = create_engine(pg_settings, reads=True)
        async with killer.connect() as conn:
            # With a timeout it returns once the backend has gone (its socket closed).
            await conn.execute(text("SELECT pg_terminate_backend(:pid, 5000)"), {"pid": pid})
        await killer.dispose()
        async with engine.begin() as conn:
            assert (await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one() != pid
    finally:
        await engine.dispose()
