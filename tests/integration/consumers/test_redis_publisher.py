"""The Redis publisher, run by the consumer runner on real PostgreSQL and Redis: order, a Redis
outage, the `crmgraph worker` command, due tasks, SQLite. Crashes and several workers:
test_worker_crash.py; NOTIFY: test_notify.py; other consumers beside it: test_runner.py."""

from __future__ import annotations

import asyncio
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
from crmgraph.events.consumers.redis_publisher import RedisPublisher
from crmgraph.events.envelope import Envelope
from crmgraph.runtime import Runtime
from crmgraph.server import build_servers
from tests.integration.consumers.support import (
    PrivateRedis,
    all_published,
    deliveries_of,
    new_tenant,
    receive,
    runner_for,
    running,
    start_worker,
    stop_worker,
    unpublished,
    wait_until,
    write_events,
)


async def test_publisher_publishes_committed_events_in_order(
    sessions: async_sessionmaker[AsyncSession], broadcast: Broadcast, outbox_settings: Settings
) -> None:
    tenant = new_tenant()
    async with broadcast.subscribe(bus.channel_for(tenant, "deal.updated")) as subscriber:
        aggregate = await write_events(sessions, tenant, 5)
        async with running(runner_for(sessions, broadcast, outbox_settings.redis_url)):
            got = await receive(subscriber, 5)
            await all_published(sessions, tenant)

    assert [(e.aggregate_id, e.sequence, e.payload) for e in got] == [
        (str(aggregate), n, {"data": {"n": n}}) for n in range(1, 6)
    ]
    assert [e.tenant_id for e in got] == [tenant] * 5
    assert len({e.event_id for e in got}) == 5


async def test_events_written_while_redis_is_down_arrive_after_it_is_back(
    sessions: async_sessionmaker[AsyncSession], private_redis: PrivateRedis
) -> None:
    tenant = new_tenant()
    broadcast = bus.create_broadcast(private_redis.url)
    await broadcast.connect()
    try:
        async with (
            running(runner_for(sessions, broadcast, private_redis.url)),
            broadcast.subscribe(bus.channel_for(tenant, "deal.updated")) as subscriber,
        ):
            await asyncio.to_thread(private_redis.stop)
            try:
                await write_events(sessions, tenant, 4)  # commits with Redis down
                # The runner may be backing off from the outage already (up to 5 s) before
                # its first try of these rows.
                async with asyncio.timeout(15):
                    while True:
                        waiting = (await deliveries_of(sessions, tenant, RedisPublisher.name))[0]
                        if waiting.attempts >= 1:
                            break
                        await asyncio.sleep(0.1)
                assert await unpublished(sessions, tenant) == 4
                assert "Redis unreachable" in (waiting.last_error or "")
            finally:
                await asyncio.to_thread(private_redis.start)
            got = await receive(subscriber, 4, within=15)
            await all_published(sessions, tenant)
    finally:
        await broadcast.disconnect()

    assert [e.sequence for e in got] == [1, 2, 3, 4]


async def test_crmgraph_worker_command_publishes_and_stops_on_sigterm(
    sessions: async_sessionmaker[AsyncSession],
    broadcast: Broadcast,
    outbox_settings: Settings,
    tmp_path: Path,
) -> None:
    tenant = new_tenant()
    log = tmp_path / "worker.log"
    process = await start_worker(outbox_settings, log)
    try:
        async with broadcast.subscribe(bus.channel_for(tenant, "deal.updated")) as subscriber:
            await write_events(sessions, tenant, 2)
            got = await receive(subscriber, 2, within=20)
    finally:
        code = await stop_worker(process)

    assert [e.sequence for e in got] == [1, 2]
    assert code == 0, log.read_text()


@pytest.mark.parametrize("in_process", [True, False])
async def test_server_processes_run_the_consumers_unless_told_not_to(
    sessions: async_sessionmaker[AsyncSession], outbox_settings: Settings, in_process: bool
) -> None:
    """CONSUMERS_IN_PROCESS=false: a server process (here the REST shim) leaves its events to
    `crmgraph worker`; they wait in the outbox meanwhile."""
    settings = outbox_settings.model_copy(
        update={"consumers_in_process": in_process, "rest_port": 0}
    )
    runtime = await Runtime.open(settings)
    servers = build_servers(runtime, [], rest=True, log_level="warning")
    serving = asyncio.create_task(servers.run())
    tenant = new_tenant()
    try:
        await wait_until(lambda: servers.started)
        await write_events(sessions, tenant, 2)
        if in_process:
            await all_published(sessions, tenant)
        else:
            await asyncio.sleep(1.5)
    finally:
        servers.stop()
        await serving
        await runtime.close()

    assert await unpublished(sessions, tenant) == (0 if in_process else 2)


async def test_due_task_is_announced_once_even_after_a_restart(
    sessions: async_sessionmaker[AsyncSession], broadcast: Broadcast, outbox_settings: Settings
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
        for _ in range(2):  # two runners one after the other: a restart
            runner = runner_for(sessions, broadcast, outbox_settings.redis_url)
            await runner.emit_due_tasks()
            while (await runner.run_batch(runner.consumers[0])).claimed:
                pass
        got = await receive(subscriber, 1)
        with pytest.raises(TimeoutError):
            await receive(subscriber, 1, within=0.3)

    [event] = [Envelope.of(e) for e in got]
    assert (event.topic, event.aggregate_id) == ("task.due", due.id)
    assert isinstance(event.payload, payloads.TaskDue)
    assert (event.payload.task.title, event.payload.task.due_date) == ("Call back", due.due_date)


async def test_publisher_on_sqlite_with_the_in_memory_bus(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path}/publisher.db")
    await upgrade(settings)
    engine = create_engine(settings)
    memory = bus.create_broadcast("memory://")
    await memory.connect()
    try:
        sessions = create_session_factory(engine)
        async with memory.subscribe(bus.channel_for("solo", "deal.updated")) as subscriber:
            await write_events(sessions, "solo", 3)
            async with running(runner_for(sessions, memory, "memory://")):
                got = await receive(subscriber, 3)
                await all_published(sessions, "solo")
    finally:
        await memory.disconnect()
        await engine.dispose()

    assert [e.sequence for e in got] == [1, 2, 3]
