"""Helpers of the outbox relay tests: outbox rows, the bus, relays in this process and in
processes of their own (`crmgraph relay`, which a test can SIGKILL)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path

from broadcaster import Broadcast
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from crmgraph.config import Settings
from crmgraph.db import models
from crmgraph.events import bus
from crmgraph.events.outbox_listener import asyncpg_dsn
from crmgraph.events.relay import Relay

CRMGRAPH = str(Path(sys.executable).parent / "crmgraph")


def new_tenant() -> str:
    return f"t_{uuid.uuid4().hex[:12]}"


async def write_events(
    sessions: async_sessionmaker[AsyncSession], tenant: str, count: int, topic: str = "deal.updated"
) -> uuid.UUID:
    """count events about one aggregate, each committed in its own transaction."""
    aggregate = uuid.uuid4()
    for sequence in range(1, count + 1):
        async with sessions() as session, session.begin():
            session.add(
                models.OutboxEvent(
                    tenant_id=tenant, topic=topic, aggregate_type=topic.split(".")[0],
                    aggregate_id=aggregate, sequence=sequence, payload={"data": {"n": sequence}},
                )
            )  # fmt: skip
    return aggregate


async def event_ids(sessions: async_sessionmaker[AsyncSession], tenant: str) -> set[str]:
    """The event_id of every outbox row of tenant, published or not."""
    async with sessions() as session:
        outbox = models.OutboxEvent
        rows = await session.scalars(select(outbox.event_id).where(outbox.tenant_id == tenant))
        return {str(event_id) for event_id in rows}


async def unpublished(sessions: async_sessionmaker[AsyncSession], tenant: str) -> int:
    async with sessions() as session:
        outbox = models.OutboxEvent
        count = await session.scalar(
            select(func.count())
            .select_from(outbox)
            .where(outbox.tenant_id == tenant, outbox.published_at.is_(None))
        )
        return int(count or 0)


async def scalar(sessions: async_sessionmaker[AsyncSession], sql: str) -> object:
    async with sessions() as session:
        return await session.scalar(text(sql))


async def receive(subscriber: object, count: int, within: float = 10) -> list[bus.BusEvent]:
    got = []
    async with asyncio.timeout(within):
        for _ in range(count):
            event = await subscriber.get()  # type: ignore[attr-defined]
            got.append(bus.BusEvent.decode(event.message))
    return got


async def all_published(
    sessions: async_sessionmaker[AsyncSession], tenant: str, within: float = 10
) -> None:
    """Waits until the relay has committed: receiving comes before the commit."""
    async with asyncio.timeout(within):
        while await unpublished(sessions, tenant):  # noqa: ASYNC110 (another process's commit)
            await asyncio.sleep(0.02)


async def wait_until(condition: Callable[[], bool], within: float = 10) -> None:
    async with asyncio.timeout(within):
        while not condition():  # noqa: ASYNC110 (the condition is another task's state)
            await asyncio.sleep(0.02)


async def wait_for_row(
    sessions: async_sessionmaker[AsyncSession], sql: str, within: float = 20
) -> None:
    """Until the query returns true: PostgreSQL's view of the other processes."""
    async with asyncio.timeout(within):
        while not await scalar(sessions, sql):  # noqa: ASYNC110 (other processes' state)
            await asyncio.sleep(0.05)


def relay_for(sessions: async_sessionmaker[AsyncSession], broadcast: Broadcast, url: str) -> Relay:
    return Relay(sessions, broadcast, redis_url=url, max_backoff=0.5)


# A relay that listens polls only once a minute: what it publishes within the few seconds a
# test waits, a wake-up (NOTIFY) brought out.
RARE_POLL = 60.0


def listening_relay(
    sessions: async_sessionmaker[AsyncSession], broadcast: Broadcast, settings: Settings
) -> Relay:
    return Relay(
        sessions,
        broadcast,
        redis_url=settings.redis_url,
        listen_dsn=asyncpg_dsn(settings.database_url),
        listening_poll_interval=RARE_POLL,
    )


@contextlib.asynccontextmanager
async def running(relay: Relay) -> AsyncIterator[asyncio.Task[None]]:
    task = asyncio.create_task(relay.run())
    try:
        yield task
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def start_relay_process(settings: Settings, log: Path) -> asyncio.subprocess.Process:
    """`crmgraph relay` on settings' database, its output in log."""
    env = {
        **os.environ,
        "DATABASE_URL": settings.database_url,
        "REDIS_URL": settings.redis_url,
        "NEO4J_URI": settings.neo4j_uri or "",
        "NEO4J_PASSWORD": settings.neo4j_password,
    }
    with log.open("ab") as out:
        return await asyncio.create_subprocess_exec(
            CRMGRAPH, "relay", env=env, stdout=out, stderr=out
        )


async def stop_relay_process(process: asyncio.subprocess.Process) -> int:
    """SIGTERM (if still running) and its exit code."""
    if process.returncode is None:
        process.send_signal(signal.SIGTERM)
    async with asyncio.timeout(15):
        return await process.wait()
