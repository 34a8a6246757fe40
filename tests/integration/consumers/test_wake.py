"""A write of the leading runner's own process wakes only the consumers it wrote for, once.

The runner here leads (it hears NOTIFY) and polls once a minute, so every claim counted came
from a wake-up. Its process commits events for one consumer and says so
(wake_after_write with events.written): that consumer claims at most once per commit, the
other never, and the commits' own NOTIFYs, already answered, wake nobody again. A commit it
did not announce still wakes everyone through its NOTIFY (test_notify covers the rest)."""

from __future__ import annotations

import asyncio
import uuid
from typing import ClassVar

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from crmgraph.config import Settings
from crmgraph.db import models
from crmgraph.db.engine import create_engine, create_session_factory
from crmgraph.events import bus, deliveries, written
from crmgraph.events.consumers import Consumer
from crmgraph.events.consumers.runner import ConsumerRunner
from crmgraph.events.outbox_listener import asyncpg_dsn
from tests.integration.consumers.support import (
    RARE_POLL,
    deliveries_of,
    new_tenant,
    running,
    wait_until,
)

COMMITS = 8
SETTLE = 0.5  # seconds for late NOTIFYs and the claims they would bring


class Taker(Consumer):
    name: ClassVar[str] = "test-taker"

    def __init__(self) -> None:
        self.seen: list[str] = []

    async def handle(self, event: bus.BusEvent) -> None:
        self.seen.append(event.event_id)


class Bystander(Taker):
    name: ClassVar[str] = "test-bystander"


async def commit_for(
    sessions: async_sessionmaker[AsyncSession], tenant: str, consumer: str
) -> written.Written:
    """One event with a delivery to consumer only, committed; what it wrote."""
    async with sessions() as session, session.begin():
        event = models.OutboxEvent(
            tenant_id=tenant, topic="deal.updated", aggregate_type="deal",
            aggregate_id=uuid.uuid4(), sequence=1, payload={"data": {}},
        )  # fmt: skip
        session.add(event)
        deliveries.enqueue(session, event, [consumer])
    return written.taken(session)


def listening(
    sessions: async_sessionmaker[AsyncSession], settings: Settings, consumers: list[Consumer]
) -> ConsumerRunner:
    """A runner that hears NOTIFY and polls once a minute."""
    return ConsumerRunner(
        sessions,
        consumers,
        listen_dsn=asyncpg_dsn(settings.database_url),
        listening_poll_interval=RARE_POLL,
    )


async def leading(runner: ConsumerRunner) -> None:
    await wait_until(
        lambda: (
            runner.listener is not None and runner.listener.connected and runner.asleep == RARE_POLL
        )
    )


async def test_own_commits_wake_only_their_consumers_once(
    sessions: async_sessionmaker[AsyncSession], outbox_settings: Settings
) -> None:
    taker, bystander = Taker(), Bystander()
    runner = listening(sessions, outbox_settings, [taker, bystander])
    tenant = new_tenant()
    async with running(runner):
        await leading(runner)
        before = runner.claims.copy()
        for n in range(1, COMMITS + 1):
            done = await commit_for(sessions, tenant, Taker.name)
            assert done.consumers == {Taker.name} and done.backend is not None
            runner.wake_after_write(done)
            await wait_until(lambda n=n: len(taker.seen) == n, within=5)
        await asyncio.sleep(SETTLE)
        claims = runner.claims - before
        skipped = getattr(runner.listener, "skipped", 0)

    assert await deliveries_of(sessions, tenant, Taker.name) == []
    assert claims[Bystander.name] == 0, claims
    assert claims[Taker.name] <= COMMITS, claims
    assert skipped == COMMITS


async def test_an_expected_backend_does_not_silence_another(
    sessions: async_sessionmaker[AsyncSession], outbox_settings: Settings
) -> None:
    """While the leader expects a NOTIFY from one backend, another process's commit (its
    own engine, another backend) still wakes the consumers."""
    taker, bystander = Taker(), Bystander()
    runner = listening(sessions, outbox_settings, [taker, bystander])
    tenant = new_tenant()
    elsewhere = create_engine(outbox_settings)
    try:
        async with running(runner):
            await leading(runner)
            mine = await commit_for(sessions, tenant, Taker.name)
            runner.wake_after_write(mine)
            await wait_until(lambda: len(taker.seen) == 1, within=5)
            await leading(runner)
            assert runner.listener is not None and mine.backend is not None
            runner.listener.expect(mine.backend)  # as for a commit of its still to come
            theirs = await commit_for(create_session_factory(elsewhere), tenant, Bystander.name)
            assert theirs.backend != mine.backend
            await wait_until(lambda: len(bystander.seen) == 1, within=5)
            await asyncio.sleep(SETTLE)  # for the batch to commit
    finally:
        await elsewhere.dispose()
    assert await deliveries_of(sessions, tenant, Bystander.name) == []
