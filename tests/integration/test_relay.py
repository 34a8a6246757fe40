"""The outbox relay on real PostgreSQL and Redis: order, crash mid-batch, Redis outage."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from broadcaster import Broadcast
from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from crmgraph.config import Settings
from crmgraph.db import models
from crmgraph.db.engine import create_engine, create_session_factory
from crmgraph.db.migrate import upgrade
from crmgraph.events import bus
from crmgraph.events.outbox_listener import asyncpg_dsn
from crmgraph.events.relay import Relay
from tests.conftest import admin

ROOT = Path(__file__).resolve().parents[2]
CRMGRAPH = str(Path(sys.executable).parent / "crmgraph")


@pytest.fixture(scope="module")
def relay_settings(pg_settings: Settings) -> Iterator[Settings]:
    """A database of its own: the stack's relay (same session) must not take our rows."""
    name = f"crmgraph_relay_{uuid.uuid4().hex[:10]}"
    asyncio.run(admin(pg_settings, f'CREATE DATABASE "{name}"'))
    url = make_url(pg_settings.database_url).set(database=name)
    settings = pg_settings.model_copy(
        update={"database_url": url.render_as_string(hide_password=False)}
    )
    asyncio.run(upgrade(settings))
    yield settings
    asyncio.run(admin(pg_settings, f'DROP DATABASE "{name}" WITH (FORCE)'))


@pytest.fixture
async def sessions(relay_settings: Settings) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine(relay_settings)
    yield create_session_factory(engine)
    await engine.dispose()


@pytest.fixture
async def broadcast(relay_settings: Settings) -> AsyncIterator[Broadcast]:
    running = bus.create_broadcast(relay_settings.redis_url)
    await running.connect()
    yield running
    await running.disconnect()


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


async def unpublished(sessions: async_sessionmaker[AsyncSession], tenant: str) -> int:
    async with sessions() as session:
        outbox = models.OutboxEvent
        count = await session.scalar(
            select(func.count())
            .select_from(outbox)
            .where(outbox.tenant_id == tenant, outbox.published_at.is_(None))
        )
        return int(count or 0)


async def receive(subscriber: object, count: int, within: float = 10) -> list[bus.BusEvent]:
    got = []
    async with asyncio.timeout(within):
        for _ in range(count):
            event = await subscriber.get()  # type: ignore[attr-defined]
            got.append(bus.BusEvent.decode(event.message))
    return got


async def all_published(sessions: async_sessionmaker[AsyncSession], tenant: str) -> None:
    """Waits until the relay has committed: receiving comes before the commit."""
    for _ in range(250):
        if not await unpublished(sessions, tenant):
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the relay did not mark the events published")


def relay_for(sessions: async_sessionmaker[AsyncSession], broadcast: Broadcast, url: str) -> Relay:
    return Relay(sessions, broadcast, redis_url=url, max_backoff=0.5)


async def test_relay_publishes_committed_events_in_order(
    sessions: async_sessionmaker[AsyncSession], broadcast: Broadcast, relay_settings: Settings
) -> None:
    tenant = f"t_{uuid.uuid4().hex[:12]}"
    async with broadcast.subscribe(bus.channel_for(tenant, "deal.updated")) as subscriber:
        aggregate = await write_events(sessions, tenant, 5)
        task = asyncio.create_task(relay_for(sessions, broadcast, relay_settings.redis_url).run())
        try:
            got = await receive(subscriber, 5)
            await all_published(sessions, tenant)
        finally:
            task.cancel()

    assert [(e.aggregate_id, e.sequence, e.payload) for e in got] == [
        (str(aggregate), n, {"data": {"n": n}}) for n in range(1, 6)
    ]
    assert [e.tenant_id for e in got] == [tenant] * 5
    assert len({e.event_id for e in got}) == 5


async def test_relay_killed_between_publish_and_commit_publishes_again(
    sessions: async_sessionmaker[AsyncSession], broadcast: Broadcast, relay_settings: Settings
) -> None:
    tenant = f"t_{uuid.uuid4().hex[:12]}"
    reached = asyncio.Event()

    async def crash_here(_: list[bus.BusEvent]) -> None:
        reached.set()
        await asyncio.Event().wait()  # until cancelled: the "process" dies here

    async with broadcast.subscribe(bus.channel_for(tenant, "deal.updated")) as subscriber:
        await write_events(sessions, tenant, 3)
        doomed = relay_for(sessions, broadcast, relay_settings.redis_url)
        doomed.before_commit = crash_here
        task = asyncio.create_task(doomed.run())
        first = await receive(subscriber, 3)
        await asyncio.wait_for(reached.wait(), 5)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert await unpublished(sessions, tenant) == 3

        task = asyncio.create_task(relay_for(sessions, broadcast, relay_settings.redis_url).run())
        try:
            again = await receive(subscriber, 3)
            await all_published(sessions, tenant)
        finally:
            task.cancel()

    assert [e.event_id for e in again] == [e.event_id for e in first]
    assert [e.sequence for e in again] == [1, 2, 3]


async def run(*command: str) -> int:
    process = await asyncio.create_subprocess_exec(
        *command, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL
    )
    return await process.wait()


def redis_port(url: str) -> str:
    return str(make_url(url.replace("redis://", "postgresql://")).port)


async def test_events_written_while_redis_is_down_arrive_after_it_is_back(
    sessions: async_sessionmaker[AsyncSession], broadcast: Broadcast, relay_settings: Settings
) -> None:
    tenant = f"t_{uuid.uuid4().hex[:12]}"
    port = redis_port(relay_settings.redis_url)
    task = asyncio.create_task(relay_for(sessions, broadcast, relay_settings.redis_url).run())
    try:
        async with broadcast.subscribe(bus.channel_for(tenant, "deal.updated")) as subscriber:
            await run("redis-cli", "-p", port, "shutdown", "nosave")
            try:
                await write_events(sessions, tenant, 4)  # commits with Redis down
                await asyncio.sleep(1.0)
                assert await unpublished(sessions, tenant) == 4
            finally:
                assert await run(str(ROOT / "scripts/services.sh"), "start") == 0
            got = await receive(subscriber, 4, within=15)
            await all_published(sessions, tenant)
    finally:
        task.cancel()

    assert [e.sequence for e in got] == [1, 2, 3, 4]


async def test_crmgraph_relay_command_publishes_and_stops_on_sigterm(
    sessions: async_sessionmaker[AsyncSession], broadcast: Broadcast, relay_settings: Settings
) -> None:
    tenant = f"t_{uuid.uuid4().hex[:12]}"
    env = {
        **os.environ,
        "DATABASE_URL": relay_settings.database_url,
        "REDIS_URL": relay_settings.redis_url,
        "NEO4J_URI": relay_settings.neo4j_uri or "",
        "NEO4J_PASSWORD": relay_settings.neo4j_password,
    }
    process = await asyncio.create_subprocess_exec(
        CRMGRAPH, "relay", env=env, stderr=asyncio.subprocess.PIPE
    )
    try:
        async with broadcast.subscribe(bus.channel_for(tenant, "deal.updated")) as subscriber:
            await write_events(sessions, tenant, 2)
            got = await receive(subscriber, 2, within=20)
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(process.communicate(), 10)

    assert [e.sequence for e in got] == [1, 2]
    assert process.returncode == 0, stderr


async def test_due_task_is_announced_once_even_after_a_restart(
    sessions: async_sessionmaker[AsyncSession], broadcast: Broadcast, relay_settings: Settings
) -> None:
    tenant = f"t_{uuid.uuid4().hex[:12]}"
    now = datetime.now(UTC)
    async with sessions() as session, session.begin():
        due = models.Task(tenant_id=tenant, title="Call back", due_date=now - timedelta(minutes=1))
        later = models.Task(tenant_id=tenant, title="Later", due_date=now + timedelta(hours=1))
        done = models.Task(tenant_id=tenant, title="Done", status="COMPLETED",
                           due_date=now - timedelta(hours=1))  # fmt: skip
        session.add_all([due, later, done])

    async with broadcast.subscribe(bus.channel_for(tenant, "task.due")) as subscriber:
        for _ in range(2):  # two relays one after the other: a restart
            relay = relay_for(sessions, broadcast, relay_settings.redis_url)
            await relay.emit_due_tasks()
            while await relay.relay_batch():
                pass
        got = await receive(subscriber, 1)
        with pytest.raises(TimeoutError):
            await receive(subscriber, 1, within=0.3)

    assert [(e.topic, e.aggregate_id, e.data["title"]) for e in got] == [
        ("task.due", str(due.id), "Call back")
    ]


async def test_relay_on_sqlite_with_the_in_memory_bus(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path}/relay.db")
    await upgrade(settings)
    engine = create_engine(settings)
    memory = bus.create_broadcast("memory://")
    await memory.connect()
    try:
        sessions = create_session_factory(engine)
        async with memory.subscribe(bus.channel_for("solo", "deal.updated")) as subscriber:
            await write_events(sessions, "solo", 3)
            task = asyncio.create_task(relay_for(sessions, memory, "memory://").run())
            try:
                got = await receive(subscriber, 3)
                await all_published(sessions, "solo")
            finally:
                task.cancel()
    finally:
        await memory.disconnect()
        await engine.dispose()

    assert [e.sequence for e in got] == [1, 2, 3]


async def test_a_commit_anywhere_wakes_a_relay_that_polls_rarely(
    sessions: async_sessionmaker[AsyncSession], broadcast: Broadcast, relay_settings: Settings
) -> None:
    """The writer here is not the relay's process (no in-process wake): only PostgreSQL's
    NOTIFY, sent by the outbox trigger at commit, can bring the event out before the poll.
    The listener's connection is then terminated by the server and must come back."""
    relay = listening_relay(sessions, broadcast, relay_settings)
    tenant = f"t_{uuid.uuid4().hex[:12]}"
    task = asyncio.create_task(relay.run())
    try:
        async with broadcast.subscribe(bus.channel_for(tenant, "deal.updated")) as subscriber:
            await wait_until(lambda: relay.listener is not None and relay.listener.connected)
            await asyncio.sleep(0.3)  # past the wake-up the listener gives when it connects
            await write_events(sessions, tenant, 1)
            assert len(await receive(subscriber, 1, within=3)) == 1

            await admin(
                relay_settings,
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE query LIKE 'LISTEN%' AND datname = current_database()",
            )
            # Reconnected: a second connection, listening (it may take less than a poll).
            await wait_until(
                lambda: (
                    relay.listener is not None
                    and relay.listener.connections == 2
                    and relay.listener.connected
                )
            )
            await asyncio.sleep(0.3)
            await write_events(sessions, tenant, 1)
            assert len(await receive(subscriber, 1, within=3)) == 1
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def listening_relay(
    sessions: async_sessionmaker[AsyncSession], broadcast: Broadcast, settings: Settings
) -> Relay:
    """A relay with its NOTIFY listener that polls only once a minute: what it publishes
    within seconds, a notification brought out."""
    return Relay(
        sessions,
        broadcast,
        redis_url=settings.redis_url,
        listen_dsn=asyncpg_dsn(settings.database_url),
        listening_poll_interval=60,
    )


async def wait_until(condition: Callable[[], bool], within: float = 10) -> None:
    async with asyncio.timeout(within):
        while not condition():  # noqa: ASYNC110 (the condition is another task's state)
            await asyncio.sleep(0.02)


async def test_one_relay_leads_and_another_takes_over_when_its_process_dies(
    sessions: async_sessionmaker[AsyncSession], broadcast: Broadcast, relay_settings: Settings
) -> None:
    """Of two relays, one holds the leader lock and hears NOTIFY; the other follows. When the
    leader stops (its connection, and the session lock with it, goes away), the follower
    becomes leader within its follow interval and publishes a commit at once."""

    def make() -> Relay:
        relay = listening_relay(sessions, broadcast, relay_settings)
        assert relay.listener is not None
        relay.listener.follow_interval = 0.2
        return relay

    relays = [make(), make()]
    tasks = [asyncio.create_task(r.run()) for r in relays]
    tenant = f"t_{uuid.uuid4().hex[:12]}"
    try:
        async with broadcast.subscribe(bus.channel_for(tenant, "deal.updated")) as subscriber:
            await wait_until(
                lambda: (
                    sorted((r.listener.connected, r.listener.following) for r in relays)  # type: ignore[union-attr]
                    == [(False, True), (True, False)]
                )
            )
            leader = next(n for n, r in enumerate(relays) if r.listener.connected)  # type: ignore[union-attr]
            await asyncio.sleep(0.3)
            await write_events(sessions, tenant, 1)
            assert len(await receive(subscriber, 1, within=3)) == 1

            tasks[leader].cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await tasks[leader]
            follower = relays[1 - leader].listener
            await wait_until(lambda: follower is not None and follower.connected)
            await asyncio.sleep(0.3)
            await write_events(sessions, tenant, 1)
            assert len(await receive(subscriber, 1, within=3)) == 1
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
