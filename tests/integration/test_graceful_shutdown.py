"""SIGTERM to a real `crmgraph serve` process: it reports not ready (/readyz 503 draining,
/livez still 200) while it keeps serving for SHUTDOWN_DELAY_SECONDS, closes an open
subscription's WebSocket with 1001, lets a request already running finish (one held up by a
real table lock the test releases) and exits 0. A request running past
SHUTDOWN_DRAIN_SECONDS does not hold the process: it exits within the drain, and the
request gets 503 SERVICE_UNAVAILABLE with Retry-After."""

from __future__ import annotations

import asyncio
import signal
import time
import uuid
from pathlib import Path

import httpx
import pytest
import websockets
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from crmgraph.config import Settings
from crmgraph.db.engine import create_engine
from tests.e2e.graphql_ws import connect
from tests.processes import Subgraph, token

SLOW = "{ contacts(first: 5) { totalCount } }"
SUBSCRIPTION = "subscription { contactUpdated { id } }"
# The contacts query waits for this lock (taken by the test) until the test commits.
BLOCKED = """SELECT count(*) > 0 FROM pg_stat_activity
    WHERE datname = current_database() AND wait_event_type = 'Lock'"""


async def wait_for(predicate_sql: str, settings: Settings, within: float = 20) -> None:
    engine = create_engine(settings)
    try:
        async with asyncio.timeout(within):
            while True:
                async with engine.connect() as conn:
                    if (await conn.execute(text(predicate_sql))).scalar():
                        return
                await asyncio.sleep(0.05)
    finally:
        await engine.dispose()


async def held_request(
    locker: AsyncConnection,
    client: httpx.AsyncClient,
    subgraph: Subgraph,
    bearer: dict[str, str],
    settings: Settings,
) -> asyncio.Task[httpx.Response]:
    """The contacts query, sent and waiting for the lock locker takes (until it ends)."""
    await locker.execute(text("BEGIN"))
    await locker.execute(text("LOCK TABLE contacts IN ACCESS EXCLUSIVE MODE"))
    slow = asyncio.create_task(client.post(
        subgraph.url, json={"query": SLOW}, headers={**subgraph.headers, **bearer}
    ))  # fmt: skip
    await wait_for(BLOCKED, settings)
    return slow


async def probe(client: httpx.AsyncClient, base: str, path: str) -> tuple[int, object]:
    answer = await client.get(f"{base}{path}")
    return answer.status_code, answer.json()["status"]


async def test_sigterm_drains_requests_and_closes_subscriptions_with_1001(
    pg_settings: Settings, tmp_path: Path
) -> None:
    subgraph = Subgraph(pg_settings, "contacts", tmp_path / "contacts.log",
                        SHUTDOWN_DELAY_SECONDS="1.5", SHUTDOWN_DRAIN_SECONDS="20")  # fmt: skip
    bearer = {"authorization": f"Bearer {token(pg_settings, f't_{uuid.uuid4().hex[:8]}')}"}
    engine = create_engine(pg_settings)
    try:
        async with httpx.AsyncClient(timeout=30) as client:
            assert await probe(client, subgraph.base, "/livez") == (200, "ok")
            assert await probe(client, subgraph.base, "/readyz") == (200, "ok")
            async with connect(subgraph.ws_url, headers=subgraph.headers, params=bearer) as ws:
                await ws.subscribe(SUBSCRIPTION)
                async with engine.connect() as locker:
                    slow = await held_request(locker, client, subgraph, bearer, pg_settings)
                    subgraph.process.send_signal(signal.SIGTERM)
                    await asyncio.sleep(0.3)
                    # Draining: not ready, still alive, still answering.
                    assert await probe(client, subgraph.base, "/readyz") == (503, "draining")
                    assert await probe(client, subgraph.base, "/livez") == (200, "ok")
                    with pytest.raises(websockets.ConnectionClosed) as closed:
                        async with asyncio.timeout(10):
                            while True:
                                await ws.receive()
                    await asyncio.sleep(0.5)  # the request is still held by the lock
                    assert not slow.done()
                    await locker.execute(text("COMMIT"))
                answer = await slow
        assert closed.value.rcvd is not None
        assert (closed.value.rcvd.code, closed.value.rcvd.reason) == (1001, "server shutting down")
        assert answer.status_code == 200
        assert answer.json() == {"data": {"contacts": {"totalCount": 0}}}
        assert await asyncio.to_thread(subgraph.process.wait, 20) == 0
    finally:
        subgraph.stop()
        await engine.dispose()


async def test_a_request_past_the_drain_does_not_hold_the_process(
    pg_settings: Settings, tmp_path: Path
) -> None:
    subgraph = Subgraph(pg_settings, "contacts", tmp_path / "contacts.log",
                        SHUTDOWN_DRAIN_SECONDS="2")  # fmt: skip
    bearer = {"authorization": f"Bearer {token(pg_settings, f't_{uuid.uuid4().hex[:8]}')}"}
    engine = create_engine(pg_settings)
    try:
        async with httpx.AsyncClient(timeout=30) as client, engine.connect() as locker:
            slow = await held_request(locker, client, subgraph, bearer, pg_settings)
            started = time.monotonic()
            subgraph.process.send_signal(signal.SIGTERM)
            await asyncio.to_thread(subgraph.process.wait, 15)
            took = time.monotonic() - started
            cut = await slow
            await locker.execute(text("ROLLBACK"))
        assert took < 6, took
        # Cut short by the drain: 503 with Retry-After in the GraphQL error format, not a 500.
        assert cut.status_code == 503
        assert cut.headers["retry-after"] == "5"
        [error] = cut.json()["errors"]
        assert error["extensions"] == {"code": "SERVICE_UNAVAILABLE", "retryAfter": 5}
    finally:
        subgraph.stop()
        await engine.dispose()
