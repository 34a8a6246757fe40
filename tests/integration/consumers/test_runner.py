"""Several consumers on one outbox, on real PostgreSQL (and Redis): a failing consumer holds
back no other, an event that keeps failing becomes a dead letter with its last error (and
shows in the metrics), and two runners share a consumer's events without handling one twice.

The consumers here are small real ones: they record what they handled, and one parses an
amount out of each event, failing on an event whose amount is not a number."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any, ClassVar, TypeVar

import pytest
from broadcaster import Broadcast
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from crmgraph.config import Settings
from crmgraph.db import models
from crmgraph.db.engine import create_engine, create_session_factory
from crmgraph.errors import TransientFailure
from crmgraph.events import bus, deliveries
from crmgraph.events.consumers import Consumer
from crmgraph.events.consumers.base import prefetched
from crmgraph.events.consumers.metrics import consumer_lag, prometheus_text
from crmgraph.events.consumers.redis_publisher import RedisPublisher
from crmgraph.events.consumers.runner import ConsumerRunner
from tests.integration.consumers.support import (
    PrivateRedis,
    all_published,
    deliveries_of,
    event_ids_in_order,
    new_tenant,
    receive,
    runner_for,
    running,
    unpublished,
    wait_until,
    write_events,
)


class Recorder(Consumer):
    """Records (its tag, event_id) of each event it handles, taking a little time each."""

    name: ClassVar[str] = "test-recorder"
    batch_size: ClassVar[int] = 5

    def __init__(self, seen: list[tuple[str, str]], tag: str = "") -> None:
        self.seen = seen
        self.tag = tag

    async def handle(self, event: bus.BusEvent) -> None:
        await asyncio.sleep(0.005)
        self.seen.append((self.tag, event.event_id))


class OrderedRecorder(Recorder):
    name: ClassVar[str] = "test-recorder-ordered"
    ordered: ClassVar[bool] = True


class Amounts(Consumer):
    """Sums each event's amount: an event whose amount is not a number fails every time."""

    name: ClassVar[str] = "test-amounts"
    max_attempts: ClassVar[int] = 3
    retry_backoff: ClassVar[float] = 0.02

    def __init__(self) -> None:
        self.amounts: list[Decimal] = []

    async def handle(self, event: bus.BusEvent) -> None:
        self.amounts.append(Decimal(event.payload["data"]["amount"]))


class FlakyAmounts(Amounts):
    """Its remote call fails transiently on "flaky" amounts the first `failures` times."""

    name: ClassVar[str] = "test-amounts-flaky"
    max_attempts: ClassVar[int] = 2
    failures: ClassVar[int] = 4

    def __init__(self) -> None:
        super().__init__()
        self.calls = 0

    async def handle(self, event: bus.BusEvent) -> None:
        if event.payload["data"]["amount"] == "flaky":
            self.calls += 1
            if self.calls <= self.failures:
                raise TransientFailure(f"remote call {self.calls} timed out")
            self.amounts.append(Decimal(100))
            return
        await super().handle(event)


class OrderedAmounts(Amounts):
    name: ClassVar[str] = "test-amounts-ordered"
    ordered: ClassVar[bool] = True


C = TypeVar("C", bound=Consumer)


def unique(consumer: type[C], **overrides: Any) -> type[C]:
    """consumer under a name of its own: deliveries (and metrics) are per consumer name, and
    the tests of this module share a database."""
    name = f"{consumer.name}-{uuid.uuid4().hex[:8]}"
    return type(consumer.__name__, (consumer,), {"name": name, **overrides})


async def write_amounts(
    sessions: async_sessionmaker[AsyncSession], tenant: str, amounts: Sequence[str], consumer: str
) -> None:
    async with sessions() as session, session.begin():
        for sequence, amount in enumerate(amounts, start=1):
            event = models.OutboxEvent(
                tenant_id=tenant, topic="deal.updated", aggregate_type="deal",
                aggregate_id=uuid.uuid4(), sequence=sequence,
                payload={"data": {"amount": amount}},
            )  # fmt: skip
            session.add(event)
            deliveries.enqueue(session, event, [RedisPublisher.name, consumer])


async def test_a_consumer_whose_backend_is_down_holds_back_no_other(
    sessions: async_sessionmaker[AsyncSession], private_redis: PrivateRedis
) -> None:
    """Redis stops: the Redis publisher waits (nothing dead), the recorder goes on."""
    tenant, seen, recorder = new_tenant(), list[tuple[str, str]](), unique(Recorder)
    broadcast = bus.create_broadcast(private_redis.url)
    await broadcast.connect()
    try:
        runner = runner_for(sessions, broadcast, private_redis.url, [recorder(seen)])
        async with (
            running(runner),
            broadcast.subscribe(bus.channel_for(tenant, "deal.updated")) as subscriber,
        ):
            await asyncio.to_thread(private_redis.stop)
            try:
                await write_events(
                    sessions, tenant, 6, consumers=[RedisPublisher.name, recorder.name]
                )
                await all_published(sessions, tenant, consumer=recorder.name)
                assert len(seen) == 6
                assert await unpublished(sessions, tenant) == 6
            finally:
                await asyncio.to_thread(private_redis.start)
            got = await receive(subscriber, 6, within=15)
            await all_published(sessions, tenant)
    finally:
        await broadcast.disconnect()

    assert [e.sequence for e in got] == list(range(1, 7))


async def test_a_consumer_failing_on_an_event_holds_back_no_other(
    sessions: async_sessionmaker[AsyncSession], broadcast: Broadcast, outbox_settings: Settings
) -> None:
    """The Redis publisher sends every event in order while the amounts consumer fails on
    the second one and keeps retrying it."""
    tenant, amounts = new_tenant(), unique(Amounts, max_attempts=1000)()
    runner = runner_for(sessions, broadcast, outbox_settings.redis_url, [amounts])
    async with broadcast.subscribe(bus.channel_for(tenant, "deal.updated")) as subscriber:
        await write_amounts(sessions, tenant, ["1", "not a number", "3"], amounts.name)
        async with running(runner):
            got = await receive(subscriber, 3)
            await all_published(sessions, tenant)
            await wait_until(lambda: len(amounts.amounts) == 2)
            await asyncio.sleep(0.3)
            waiting = await deliveries_of(sessions, tenant, amounts.name)

    assert [e.payload["data"]["amount"] for e in got] == ["1", "not a number", "3"]
    assert amounts.amounts == [Decimal(1), Decimal(3)]
    assert len(waiting) == 1 and waiting[0].attempts >= 2


@pytest.mark.parametrize("kind", [Amounts, OrderedAmounts])
async def test_an_event_that_keeps_failing_becomes_a_dead_letter_shown_in_metrics(
    sessions: async_sessionmaker[AsyncSession],
    broadcast: Broadcast,
    outbox_settings: Settings,
    kind: type[Amounts],
) -> None:
    """After max_attempts (3) the bad event is dead with its last error; the others, also
    those after it for the ordered consumer, are handled once and in order."""
    consumer = unique(kind)
    tenant, handler = new_tenant(), consumer()
    await write_amounts(sessions, tenant, ["10.5", "ten", "7"], consumer.name)
    runner = runner_for(sessions, broadcast, outbox_settings.redis_url, [handler])
    async with running(runner):
        await all_published(sessions, tenant)
        async with asyncio.timeout(10):
            while await unpublished(sessions, tenant, consumer.name):  # noqa: ASYNC110
                await asyncio.sleep(0.02)
    dead = await deliveries_of(sessions, tenant, consumer.name, deliveries.DEAD)
    async with sessions() as session:
        lag = {row.consumer: row for row in await consumer_lag(session, [consumer.name])}

    assert handler.amounts == [Decimal("10.5"), Decimal(7)]
    assert [(d.attempts, d.state) for d in dead] == [(3, "dead")]
    assert (dead[0].last_error or "").startswith("InvalidOperation")
    assert (lag[consumer.name].dead, lag[consumer.name].pending) == (1, 0)
    assert f'crmgraph_consumer_dead_letters{{consumer="{consumer.name}"}} 1.0' in (
        prometheus_text(lag.values()).decode()
    )


async def test_a_transient_failure_is_retried_past_max_attempts_and_never_dead(
    sessions: async_sessionmaker[AsyncSession], broadcast: Broadcast, outbox_settings: Settings
) -> None:
    """The flaky event fails 4 times (max_attempts is 2) and is then handled; the events
    after it are handled meanwhile."""
    consumer = unique(FlakyAmounts)
    tenant, handler = new_tenant(), consumer()
    await write_amounts(sessions, tenant, ["1", "flaky", "3"], consumer.name)
    runner = runner_for(sessions, broadcast, outbox_settings.redis_url, [handler])
    async with running(runner):
        await wait_until(lambda: Decimal(3) in handler.amounts)
        assert Decimal(100) not in handler.amounts
        async with asyncio.timeout(20):
            while await unpublished(sessions, tenant, consumer.name):  # noqa: ASYNC110
                await asyncio.sleep(0.02)
    dead = await deliveries_of(sessions, tenant, consumer.name, deliveries.DEAD)

    assert handler.amounts == [Decimal(1), Decimal(3), Decimal(100)]
    assert handler.calls == 5 and dead == []


async def test_two_runners_share_a_consumer_without_handling_an_event_twice(
    sessions: async_sessionmaker[AsyncSession], outbox_settings: Settings
) -> None:
    """Each runner on its own engine (as two workers are): SKIP LOCKED gives each batch to
    one of them."""
    tenant, seen, recorder = new_tenant(), list[tuple[str, str]](), unique(Recorder)
    other_engine = create_engine(outbox_settings)
    try:
        runners = [
            ConsumerRunner(sessions, [recorder(seen, "a")]),
            ConsumerRunner(create_session_factory(other_engine), [recorder(seen, "b")]),
        ]
        await write_events(sessions, tenant, 120, consumers=[recorder.name])
        async with running(runners[0]), running(runners[1]):
            await all_published(sessions, tenant, within=30, consumer=recorder.name)
    finally:
        await other_engine.dispose()

    ids = [event_id for _, event_id in seen]
    assert len(ids) == 120 == len(set(ids))
    assert {tag for tag, _ in seen} == {"a", "b"}


async def test_two_runners_take_turns_on_an_ordered_consumer(
    sessions: async_sessionmaker[AsyncSession], outbox_settings: Settings
) -> None:
    """Both poll fast and find work at once; the advisory lock lets one at a time claim, so
    the events are handled in outbox order, each once."""
    tenant, seen, recorder = new_tenant(), list[tuple[str, str]](), unique(OrderedRecorder)
    other_engine = create_engine(outbox_settings)
    try:
        runners = [
            ConsumerRunner(sessions, [recorder(seen, "a")]),
            ConsumerRunner(create_session_factory(other_engine), [recorder(seen, "b")]),
        ]
        await write_events(sessions, tenant, 60, consumers=[recorder.name])
        async with running(runners[0]), running(runners[1]):
            await all_published(sessions, tenant, within=30, consumer=recorder.name)
    finally:
        await other_engine.dispose()

    assert [event_id for _, event_id in seen] == await event_ids_in_order(sessions, tenant)


class Prefetcher(Consumer):
    """Reads each event's "remote" value in prefetch(), where it checks that no delivery of
    its batch is locked (another transaction takes their locks at once, NOWAIT) and, the
    first time, writes one more event, as a request arriving meanwhile does."""

    name: ClassVar[str] = "test-prefetcher"
    prefetches: ClassVar[bool] = True

    def __init__(self, tenant: str) -> None:
        self.tenant = tenant
        self.handled: list[tuple[int, object]] = []
        self.unlocked: list[bool] = []

    async def prefetch(
        self, sessions: async_sessionmaker[AsyncSession], events: Sequence[bus.BusEvent]
    ) -> Mapping[int, object]:
        d = models.OutboxDelivery
        async with sessions() as session, session.begin():
            ids = [event.id for event in events]
            stmt = select(d).where(d.consumer == self.name, d.outbox_id.in_(ids))
            locked = await session.scalars(stmt.with_for_update(nowait=True))
            self.unlocked.append(len(locked.all()) == len(events))
        if len(self.unlocked) == 1:
            await write_events(sessions, self.tenant, 1, consumers=[self.name])
        return {event.id: f"remote {event.id}" for event in events}

    async def handle(self, event: bus.BusEvent) -> None:
        self.handled.append((event.id, prefetched(event)))


async def test_a_prefetch_reads_before_the_batch_locks_and_the_batch_takes_only_those(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    consumer = unique(Prefetcher)
    tenant = new_tenant()
    handler = consumer(tenant)
    await write_events(sessions, tenant, 3, consumers=[consumer.name])
    async with running(ConsumerRunner(sessions, [handler])):
        await wait_until(lambda: len(handler.handled) == 4)

    assert handler.unlocked[:2] == [True, True]
    assert [value for _, value in handler.handled] == [f"remote {i}" for i, _ in handler.handled]
