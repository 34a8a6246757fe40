"""Worker processes that die, and several at once: `crmgraph worker` killed with SIGKILL (no
finally, no goodbye to PostgreSQL) at the moment it has claimed and published a batch but not
committed its deliveries; a leader killed while another runner follows; two workers running
together. Nothing may be lost, and nothing repeated but what the killed worker had sent."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from broadcaster import Broadcast
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from crmgraph.config import Settings
from crmgraph.events import bus, deliveries
from crmgraph.events.consumers.redis_publisher import RedisPublisher
from crmgraph.events.outbox_listener import LEADER_LOCK_KEY
from tests.integration.consumers.support import (
    RARE_POLL,
    all_published,
    event_ids,
    listening_runner,
    new_tenant,
    receive,
    running,
    start_worker,
    stop_worker,
    unpublished,
    wait_for_row,
    wait_until,
    write_events,
)

# The worker's "delivered" statement waits for a lock: it has claimed its rows (FOR UPDATE)
# and published them, and holds them uncommitted.
MARKING_BLOCKED = """SELECT count(*) = 1 FROM pg_stat_activity
    WHERE datname = current_database() AND wait_event_type = 'Lock'
    AND query LIKE 'DELETE FROM outbox_deliveries%'"""
LEADER_ELECTED = f"""SELECT count(*) = 1 FROM pg_locks l JOIN pg_database d ON d.oid = l.database
    WHERE d.datname = current_database() AND l.locktype = 'advisory' AND l.granted
    AND (l.classid::bigint << 32 | l.objid::bigint) = {LEADER_LOCK_KEY}"""


@contextlib.asynccontextmanager
async def outbox_frozen(sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[None]:
    """A SHARE lock on outbox_deliveries: a worker can still claim rows (FOR UPDATE takes ROW
    SHARE) and publish them, but not delete them (DELETE needs ROW EXCLUSIVE)."""
    async with sessions() as session, session.begin():
        await session.execute(text("LOCK TABLE outbox_deliveries IN SHARE MODE"))
        yield


async def test_worker_killed_mid_batch_loses_and_duplicates_nothing(
    sessions: async_sessionmaker[AsyncSession],
    broadcast: Broadcast,
    outbox_settings: Settings,
    tmp_path: Path,
) -> None:
    tenant = new_tenant()
    async with broadcast.subscribe(bus.channel_for(tenant, "deal.updated")) as subscriber:
        # The publisher's deliveries only: MARKING_BLOCKED waits for its DELETE alone.
        await write_events(sessions, tenant, 20, consumers=[RedisPublisher.name])
        written = await event_ids(sessions, tenant)
        async with outbox_frozen(sessions):
            doomed = await start_worker(outbox_settings, tmp_path / "doomed.log")
            try:
                first = await receive(subscriber, 20, within=30)
                await wait_for_row(sessions, MARKING_BLOCKED)
            finally:
                doomed.send_signal(signal.SIGKILL)
                assert await doomed.wait() == -signal.SIGKILL
        assert await unpublished(sessions, tenant) == 20

        restarted = await start_worker(outbox_settings, tmp_path / "restarted.log")
        try:
            again = await receive(subscriber, 20, within=30)
            await all_published(sessions, tenant, within=30)
            with pytest.raises(TimeoutError):  # and nothing a third time
                await receive(subscriber, 1, within=1.0)
        finally:
            assert await stop_worker(restarted) == 0

    # What the killed worker sent was never committed, so all of it came again, once: after
    # dropping repeats by event_id, every event arrived exactly once, in order.
    assert [e.event_id for e in first] == [e.event_id for e in again]
    assert {e.event_id for e in again} == written
    assert len(again) == len(written)
    assert [e.sequence for e in again] == list(range(1, 21))


async def test_follower_takes_over_when_the_leader_process_is_killed(
    sessions: async_sessionmaker[AsyncSession],
    broadcast: Broadcast,
    outbox_settings: Settings,
    tmp_path: Path,
) -> None:
    """The leader, a `crmgraph worker` process, holds the session lock and hears NOTIFY; the
    runner here follows. SIGKILL ends the leader's sessions with its sockets, and the follower
    leads within its follow interval and publishes a commit at once (it polls once a
    minute: only the NOTIFY it now hears can bring the event out in time)."""
    tenant = new_tenant()
    leader = await start_worker(outbox_settings, tmp_path / "leader.log")
    try:
        await wait_for_row(sessions, LEADER_ELECTED)
        follower = listening_runner(sessions, broadcast, outbox_settings)
        assert follower.listener is not None
        follower.listener.follow_interval = 0.2
        async with (
            broadcast.subscribe(bus.channel_for(tenant, "deal.updated")) as subscriber,
            running(follower),
        ):
            await wait_until(lambda: follower.asleep == RARE_POLL)
            assert follower.listener.following
            await write_events(sessions, tenant, 1)
            assert len(await receive(subscriber, 1, within=5)) == 1  # the leader's work

            leader.send_signal(signal.SIGKILL)
            assert await leader.wait() == -signal.SIGKILL
            await wait_until(lambda: follower.listener is not None and follower.listener.connected)
            await wait_until(lambda: follower.asleep == RARE_POLL)
            await write_events(sessions, tenant, 1)
            assert len(await receive(subscriber, 1, within=3)) == 1
            await all_published(sessions, tenant)
    finally:
        await stop_worker(leader)


async def test_two_workers_deliver_every_event_once_in_order(
    sessions: async_sessionmaker[AsyncSession],
    broadcast: Broadcast,
    outbox_settings: Settings,
    tmp_path: Path,
) -> None:
    """Two `crmgraph worker` processes at once, events committed while both run: the Redis
    publisher (ordered) is handled by one of them at a time, so each event goes out once and
    each aggregate's events in sequence."""
    tenant = new_tenant()
    workers = [await start_worker(outbox_settings, tmp_path / f"w{n}.log") for n in (1, 2)]
    try:
        await wait_for_row(sessions, LEADER_ELECTED)
        async with broadcast.subscribe(bus.channel_for(tenant, "deal.updated")) as subscriber:
            await asyncio.gather(*(write_events(sessions, tenant, 15) for _ in range(4)))
            got = await receive(subscriber, 60, within=30)
            await all_published(sessions, tenant, within=30)
            with pytest.raises(TimeoutError):
                await receive(subscriber, 1, within=1.0)
    finally:
        codes = [await stop_worker(worker) for worker in workers]

    assert {e.event_id for e in got} == await event_ids(sessions, tenant)
    assert len(got) == 60
    by_aggregate: dict[str, list[int]] = {}
    for event in got:
        by_aggregate.setdefault(event.aggregate_id, []).append(event.sequence)
    assert sorted(by_aggregate.values()) == [list(range(1, 16))] * 4
    assert await unpublished(sessions, tenant, state=deliveries.DEAD) == 0
    assert codes == [0, 0]
