"""The leader runner is woken by PostgreSQL's NOTIFY, sent by the outbox trigger at commit.

Each runner here polls once a minute and each wait for an event is a few seconds, started only
once the runner is idle with no wake-up pending: an event that arrives came out because of a
wake-up. The control without the trigger shows the same wait fails when none comes."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import pytest
from broadcaster import Broadcast
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from crmgraph.config import Settings
from crmgraph.events import bus
from crmgraph.events.consumers.runner import ConsumerRunner
from tests.conftest import admin
from tests.integration.consumers.support import (
    RARE_POLL,
    all_published,
    listening_runner,
    new_tenant,
    receive,
    running,
    unpublished,
    wait_until,
    write_events,
)

WAKE_WITHIN = 3.0  # seconds; far below RARE_POLL


async def idle_and_listening(runner: ConsumerRunner, connections: int = 1) -> None:
    """Until the runner leads, hears NOTIFY and waits out its rare poll with nothing pending
    (the wake-up the listener gives when it connects has been used up)."""
    await wait_until(
        lambda: (
            runner.listener is not None
            and runner.listener.connected
            and runner.listener.connections == connections
            and runner.asleep == RARE_POLL
        )
    )


@contextlib.asynccontextmanager
async def idle(runner: ConsumerRunner, broadcast: Broadcast, tenant: str) -> AsyncIterator[object]:
    """The runner running, idle and listening; yields a subscriber to tenant's deal.updated."""
    async with (
        broadcast.subscribe(bus.channel_for(tenant, "deal.updated")) as subscriber,
        running(runner),
    ):
        await idle_and_listening(runner)
        yield subscriber


@pytest.fixture
async def without_trigger(
    sessions: async_sessionmaker[AsyncSession],
) -> AsyncIterator[None]:
    """The negative control: outbox inserts notify nobody until the test ends."""
    async with sessions() as session, session.begin():
        await session.execute(text("DROP TRIGGER outbox_events_notify ON outbox_events"))
    try:
        yield
    finally:
        async with sessions() as session, session.begin():
            await session.execute(
                text(
                    "CREATE TRIGGER outbox_events_notify AFTER INSERT ON outbox_events "
                    "FOR EACH STATEMENT EXECUTE FUNCTION crmgraph_notify_outbox()"
                )
            )


async def test_a_commit_anywhere_wakes_a_runner_that_polls_rarely(
    sessions: async_sessionmaker[AsyncSession], broadcast: Broadcast, outbox_settings: Settings
) -> None:
    """The writer is not the runner (no in-process wake): only NOTIFY can bring the event
    out before the poll. The listener's connection is then terminated by the server and
    must come back."""
    runner = listening_runner(sessions, broadcast, outbox_settings)
    tenant = new_tenant()
    async with idle(runner, broadcast, tenant) as subscriber:
        await write_events(sessions, tenant, 1)
        assert len(await receive(subscriber, 1, within=WAKE_WITHIN)) == 1

        await admin(
            outbox_settings,
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE query LIKE 'LISTEN%' AND datname = current_database()",
        )
        await idle_and_listening(runner, connections=2)
        await write_events(sessions, tenant, 1)
        assert len(await receive(subscriber, 1, within=WAKE_WITHIN)) == 1
        await all_published(sessions, tenant)


@pytest.mark.usefixtures("without_trigger")
async def test_without_the_notify_trigger_the_same_commit_waits_for_the_poll(
    sessions: async_sessionmaker[AsyncSession], broadcast: Broadcast, outbox_settings: Settings
) -> None:
    runner = listening_runner(sessions, broadcast, outbox_settings)
    tenant = new_tenant()
    async with idle(runner, broadcast, tenant) as subscriber:
        await write_events(sessions, tenant, 1)
        with pytest.raises(TimeoutError):
            await receive(subscriber, 1, within=WAKE_WITHIN)
        assert await unpublished(sessions, tenant) == 1

        runner.wake()  # what the NOTIFY would have done: the event was only waiting
        assert len(await receive(subscriber, 1, within=WAKE_WITHIN)) == 1
        await all_published(sessions, tenant)


async def test_a_commit_during_a_batch_wakes_the_runner_again(
    sessions: async_sessionmaker[AsyncSession], broadcast: Broadcast, outbox_settings: Settings
) -> None:
    """A NOTIFY that arrives while the runner publishes a batch is for a row the batch did
    not see: the runner must look again at once, not at the next poll."""
    runner = listening_runner(sessions, broadcast, outbox_settings)
    tenant = new_tenant()
    written: list[object] = []

    async def commit_meanwhile(_consumer: str, batch: list[bus.BusEvent]) -> None:
        # Once, during the batch of this test's first event.
        if not written and any(e.tenant_id == tenant for e in batch):
            written.append(await write_events(sessions, tenant, 1))
            await asyncio.sleep(0.5)  # its NOTIFY reaches the listener before the batch ends

    runner.before_commit = commit_meanwhile
    async with idle(runner, broadcast, tenant) as subscriber:
        await write_events(sessions, tenant, 1)
        got = await receive(subscriber, 2, within=WAKE_WITHIN + 0.5)
        await all_published(sessions, tenant)

    assert len({e.aggregate_id for e in got}) == 2
