"""Helpers of the outbox consumer tests: outbox rows and their deliveries, the bus, runners in
this process and workers in processes of their own (`crmgraph worker`, which a test can
SIGKILL)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from pathlib import Path

from broadcaster import Broadcast
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from crmgraph.config import Settings
from crmgraph.db import models
from crmgraph.db.types import utcnow
from crmgraph.events import bus, deliveries
from crmgraph.events.consumers import Consumer
from crmgraph.events.consumers.redis_publisher import RedisPublisher
from crmgraph.events.consumers.runner import ConsumerRunner
from crmgraph.events.outbox_listener import asyncpg_dsn
from tests.ports import free_port

CRMGRAPH = str(Path(sys.executable).parent / "crmgraph")
# The secret of the webhooks tests register for the `receiver` fixture.
RECEIVER_SECRET = "whsec_consumer-tests-receiver-0123456789"
# How many dispatchers' records wait to lock their subscription (which a test holds).
RECORDS_BLOCKED = """SELECT count(*) FROM pg_stat_activity
    WHERE datname = current_database() AND wait_event_type = 'Lock'
    AND query LIKE 'SELECT webhook_subscriptions%FOR UPDATE%'"""


def new_tenant() -> str:
    return f"t_{uuid.uuid4().hex[:12]}"


async def write_events(
    sessions: async_sessionmaker[AsyncSession],
    tenant: str,
    count: int,
    topic: str = "deal.updated",
    consumers: Iterable[str] | None = None,
) -> uuid.UUID:
    """count events about one aggregate, each committed in its own transaction with its
    deliveries (default: to every registered consumer), as outbox.record() writes them."""
    aggregate = uuid.uuid4()
    for sequence in range(1, count + 1):
        async with sessions() as session, session.begin():
            event = models.OutboxEvent(
                tenant_id=tenant, topic=topic, aggregate_type=topic.split(".")[0],
                aggregate_id=aggregate, sequence=sequence, payload={"data": {"n": sequence}},
            )  # fmt: skip
            session.add(event)
            deliveries.enqueue(session, event, consumers)
    return aggregate


async def webhook_of(
    sessions: async_sessionmaker[AsyncSession], tenant: str, url: str,
    retry_config: dict[str, float] | None = None,
) -> uuid.UUID:  # fmt: skip
    """A webhook subscription of tenant to url (for contact.created, which no test writes),
    signing with RECEIVER_SECRET."""
    async with sessions() as session, session.begin():
        sub = models.WebhookSubscription(
            tenant_id=tenant, url=url, events=["contact.created"], filters={},
            secret=RECEIVER_SECRET, retry_config=retry_config or {},
        )  # fmt: skip
        session.add(sub)
    return sub.id


async def webhook_jobs(
    sessions: async_sessionmaker[AsyncSession], tenant: str, webhook: uuid.UUID, count: int
) -> list[uuid.UUID]:
    """count deliveries due now to webhook, as the webhooks consumer writes them: their
    event ids."""
    events = [uuid.uuid4() for _ in range(count)]
    async with sessions() as session, session.begin():
        for event_id in events:
            body = json.dumps({"event_id": str(event_id), "event_type": "contact.created"})
            session.add(models.WebhookJob(
                tenant_id=tenant, subscription_id=webhook, event_id=event_id,
                topic="contact.created", attempts=0, next_attempt_at=utcnow(), body=body,
            ))  # fmt: skip
    return events


async def event_ids(sessions: async_sessionmaker[AsyncSession], tenant: str) -> set[str]:
    """The event_id of every outbox row of tenant, published or not."""
    async with sessions() as session:
        outbox = models.OutboxEvent
        rows = await session.scalars(select(outbox.event_id).where(outbox.tenant_id == tenant))
        return {str(event_id) for event_id in rows}


async def event_ids_in_order(sessions: async_sessionmaker[AsyncSession], tenant: str) -> list[str]:
    """The event_id of every outbox row of tenant, in outbox (id) order."""
    async with sessions() as session:
        outbox = models.OutboxEvent
        rows = await session.scalars(
            select(outbox.event_id).where(outbox.tenant_id == tenant).order_by(outbox.id)
        )
        return [str(event_id) for event_id in rows]


async def unpublished(
    sessions: async_sessionmaker[AsyncSession],
    tenant: str,
    consumer: str = RedisPublisher.name,
    state: str = deliveries.PENDING,
) -> int:
    """How many of tenant's events consumer has still to handle (state pending), or gave up
    on (dead)."""
    return len(await deliveries_of(sessions, tenant, consumer, state))


async def deliveries_of(
    sessions: async_sessionmaker[AsyncSession],
    tenant: str,
    consumer: str,
    state: str = deliveries.PENDING,
) -> list[models.OutboxDelivery]:
    """consumer's delivery rows of tenant's events in state, in outbox order."""
    async with sessions() as session:
        d, outbox = models.OutboxDelivery, models.OutboxEvent
        rows = await session.scalars(
            select(d)
            .join(outbox, outbox.id == d.outbox_id)
            .where(outbox.tenant_id == tenant, d.consumer == consumer, d.state == state)
            .order_by(d.outbox_id)
        )
        return list(rows)


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
    sessions: async_sessionmaker[AsyncSession],
    tenant: str,
    within: float = 10,
    consumer: str = RedisPublisher.name,
) -> None:
    """Waits until consumer has committed every delivery of tenant's events: receiving comes
    before the commit. None of them may be a dead letter."""
    async with asyncio.timeout(within):
        while await unpublished(sessions, tenant, consumer):  # noqa: ASYNC110 (another process's commit)
            await asyncio.sleep(0.02)
    assert await unpublished(sessions, tenant, consumer, deliveries.DEAD) == 0


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


def runner_for(
    sessions: async_sessionmaker[AsyncSession],
    broadcast: Broadcast,
    url: str,
    others: Sequence[Consumer] = (),
) -> ConsumerRunner:
    """A runner of the Redis publisher on broadcast (and of others) that polls, no NOTIFY."""
    return ConsumerRunner(sessions, [RedisPublisher(broadcast, url), *others], max_backoff=0.5)


# A runner that listens polls only once a minute: what it publishes within the few seconds a
# test waits, a wake-up (NOTIFY) brought out.
RARE_POLL = 60.0


def listening_runner(
    sessions: async_sessionmaker[AsyncSession], broadcast: Broadcast, settings: Settings
) -> ConsumerRunner:
    return ConsumerRunner(
        sessions,
        [RedisPublisher(broadcast, settings.redis_url)],
        listen_dsn=asyncpg_dsn(settings.database_url),
        listening_poll_interval=RARE_POLL,
    )


@contextlib.asynccontextmanager
async def running(runner: ConsumerRunner) -> AsyncIterator[asyncio.Task[None]]:
    task = asyncio.create_task(runner.run())
    try:
        yield task
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def start_worker(
    settings: Settings, log: Path, extra_env: dict[str, str] | None = None
) -> asyncio.subprocess.Process:
    """`crmgraph worker` on settings' database (and extra_env), its output in log."""
    env = {
        **os.environ,
        "DATABASE_URL": settings.database_url,
        "REDIS_URL": settings.redis_url,
        "NEO4J_URI": settings.neo4j_uri or "",
        "NEO4J_PASSWORD": settings.neo4j_password,
        "WORKER_HEALTH_PORT": "0",  # several workers at once: each its own probe port
        **(extra_env or {}),
    }
    with log.open("ab") as out:
        return await asyncio.create_subprocess_exec(
            CRMGRAPH, "worker", env=env, stdout=out, stderr=out
        )


async def stop_worker(process: asyncio.subprocess.Process) -> int:
    """SIGTERM (if still running) and its exit code."""
    if process.returncode is None:
        process.send_signal(signal.SIGTERM)
    async with asyncio.timeout(15):
        return await process.wait()


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
