"""The outbox relay on real PostgreSQL and Redis: order, a Redis outage, the `crmgraph relay`
command, due tasks, SQLite. Crashes: test_relay_crash.py; NOTIFY: test_relay_notify.py."""

from __future__ import annotations

import asyncio
import subprocess
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from broadcaster import Broadcast
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from crmgraph.config import Settings
from crmgraph.db import models
from crmgraph.db.engine import create_engine, create_session_factory
from crmgraph.db.migrate import upgrade
from crmgraph.events import bus, payloads
from crmgraph.events.envelope import Envelope
from tests.integration.relay.support import (
    all_published,
    new_tenant,
    receive,
    relay_for,
    running,
    start_relay_process,
    stop_relay_process,
    unpublished,
    write_events,
)
from tests.ports import free_port


async def test_relay_publishes_committed_events_in_order(
    sessions: async_sessionmaker[AsyncSession], broadcast: Broadcast, relay_settings: Settings
) -> None:
    tenant = new_tenant()
    async with broadcast.subscribe(bus.channel_for(tenant, "deal.updated")) as subscriber:
        aggregate = await write_events(sessions, tenant, 5)
        async with running(relay_for(sessions, broadcast, relay_settings.redis_url)):
            got = await receive(subscriber, 5)
            await all_published(sessions, tenant)

    assert [(e.aggregate_id, e.sequence, e.payload) for e in got] == [
        (str(aggregate), n, {"data": {"n": n}}) for n in range(1, 6)
    ]
    assert [e.tenant_id for e in got] == [tenant] * 5
    assert len({e.event_id for e in got}) == 5


class PrivateRedis:
    """A redis-server of this test's own: stopping the shared one would break every other
    test run using it at the time."""

    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.workdir = workdir
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--bind", "127.0.0.1", "--port", str(self.port), "--save", "",
             "--appendonly", "no", "--dir", str(self.workdir)],
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        for _ in range(100):
            ping = subprocess.run(["redis-cli", "-p", str(self.port), "ping"],
                                  capture_output=True, text=True, check=False)  # fmt: skip
            if ping.stdout.strip() == "PONG":
                return
            if self.process.poll() is not None:
                raise RuntimeError(f"redis-server on {self.port} exited")
            time.sleep(0.05)
        raise TimeoutError(f"redis-server on {self.port} not up")

    def stop(self) -> None:
        """The outage: the server goes away, connections and all."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    redis = PrivateRedis(tmp_path)
    redis.start()
    yield redis
    redis.stop()


async def test_events_written_while_redis_is_down_arrive_after_it_is_back(
    sessions: async_sessionmaker[AsyncSession], private_redis: PrivateRedis
) -> None:
    tenant = new_tenant()
    broadcast = bus.create_broadcast(private_redis.url)
    await broadcast.connect()
    try:
        async with (
            running(relay_for(sessions, broadcast, private_redis.url)),
            broadcast.subscribe(bus.channel_for(tenant, "deal.updated")) as subscriber,
        ):
            await asyncio.to_thread(private_redis.stop)
            try:
                await write_events(sessions, tenant, 4)  # commits with Redis down
                await asyncio.sleep(1.0)
                assert await unpublished(sessions, tenant) == 4
            finally:
                await asyncio.to_thread(private_redis.start)
            got = await receive(subscriber, 4, within=15)
            await all_published(sessions, tenant)
    finally:
        await broadcast.disconnect()

    assert [e.sequence for e in got] == [1, 2, 3, 4]


async def test_crmgraph_relay_command_publishes_and_stops_on_sigterm(
    sessions: async_sessionmaker[AsyncSession],
    broadcast: Broadcast,
    relay_settings: Settings,
    tmp_path: Path,
) -> None:
    tenant = new_tenant()
    log = tmp_path / "relay.log"
    process = await start_relay_process(relay_settings, log)
    try:
        async with broadcast.subscribe(bus.channel_for(tenant, "deal.updated")) as subscriber:
            await write_events(sessions, tenant, 2)
            got = await receive(subscriber, 2, within=20)
    finally:
        code = await stop_relay_process(process)

    assert [e.sequence for e in got] == [1, 2]
    assert code == 0, log.read_text()


async def test_due_task_is_announced_once_even_after_a_restart(
    sessions: async_sessionmaker[AsyncSession], broadcast: Broadcast, relay_settings: Settings
) -> None:
    tenant = new_tenant()
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

    [event] = [Envelope.of(e) for e in got]
    assert (event.topic, event.aggregate_id) == ("task.due", due.id)
    assert isinstance(event.payload, payloads.TaskDue)
    assert (event.payload.task.title, event.payload.task.due_date) == ("Call back", due.due_date)


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
            async with running(relay_for(sessions, memory, "memory://")):
                got = await receive(subscriber, 3)
                await all_published(sessions, "solo")
    finally:
        await memory.disconnect()
        await engine.dispose()

    assert [e.sequence for e in got] == [1, 2, 3]
