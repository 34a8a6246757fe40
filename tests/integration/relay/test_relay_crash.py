"""Relay processes that die: `crmgraph relay` killed with SIGKILL (no finally, no goodbye to
PostgreSQL) at the moment it has claimed and published a batch but not marked it published;
and a leader killed while another relay follows. Nothing may be lost."""

from __future__ import annotations

import contextlib
import signal
from collections.abc import AsyncIterator
from pathlib import Path

from broadcaster import Broadcast
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from crmgraph.config import Settings
from crmgraph.events import bus
from crmgraph.events.outbox_listener import LEADER_LOCK_KEY
from tests.integration.relay.support import (
    RARE_POLL,
    all_published,
    event_ids,
    listening_relay,
    new_tenant,
    receive,
    running,
    start_relay_process,
    stop_relay_process,
    unpublished,
    wait_for_row,
    wait_until,
    write_events,
)

# The relay's "mark published" statement waits for a lock: it has claimed its rows (FOR
# UPDATE) and published them, and holds them uncommitted.
MARKING_BLOCKED = """SELECT count(*) = 1 FROM pg_stat_activity
    WHERE datname = current_database() AND wait_event_type = 'Lock'
    AND query LIKE 'UPDATE outbox_events SET published_at%'"""
LEADER_ELECTED = f"""SELECT count(*) = 1 FROM pg_locks l JOIN pg_database d ON d.oid = l.database
    WHERE d.datname = current_database() AND l.locktype = 'advisory' AND l.granted
    AND (l.classid::bigint << 32 | l.objid::bigint) = {LEADER_LOCK_KEY}"""


@contextlib.asynccontextmanager
async def outbox_frozen(sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[None]:
    """A SHARE lock on outbox_events: a relay can still claim rows (FOR UPDATE takes ROW
    SHARE) and publish them, but not mark them published (UPDATE needs ROW EXCLUSIVE)."""
    async with sessions() as session, session.begin():
        await session.execute(text("LOCK TABLE outbox_events IN SHARE MODE"))
        yield


async def test_relay_process_killed_mid_batch_loses_no_event(
    sessions: async_sessionmaker[AsyncSession],
    broadcast: Broadcast,
    relay_settings: Settings,
    tmp_path: Path,
) -> None:
    tenant = new_tenant()
    async with broadcast.subscribe(bus.channel_for(tenant, "deal.updated")) as subscriber:
        await write_events(sessions, tenant, 20)
        written = await event_ids(sessions, tenant)
        async with outbox_frozen(sessions):
            doomed = await start_relay_process(relay_settings, tmp_path / "doomed.log")
            try:
                first = await receive(subscriber, 20, within=30)
                await wait_for_row(sessions, MARKING_BLOCKED)
            finally:
                doomed.send_signal(signal.SIGKILL)
                assert await doomed.wait() == -signal.SIGKILL
        assert await unpublished(sessions, tenant) == 20

        restarted = await start_relay_process(relay_settings, tmp_path / "restarted.log")
        try:
            again = await receive(subscriber, 20, within=30)
            await all_published(sessions, tenant, within=30)
        finally:
            assert await stop_relay_process(restarted) == 0

    assert {e.event_id for e in first} == written
    assert {e.event_id for e in again} == written
    assert [e.sequence for e in again] == list(range(1, 21))


async def test_follower_takes_over_when_the_leader_process_is_killed(
    sessions: async_sessionmaker[AsyncSession],
    broadcast: Broadcast,
    relay_settings: Settings,
    tmp_path: Path,
) -> None:
    """The leader, a `crmgraph relay` process, holds the session lock and hears NOTIFY; the
    relay here follows. SIGKILL ends the leader's sessions with its sockets, and the follower
    leads within its follow interval and publishes a commit at once (it polls once a
    minute: only the NOTIFY it now hears can bring the event out in time)."""
    tenant = new_tenant()
    leader = await start_relay_process(relay_settings, tmp_path / "leader.log")
    try:
        await wait_for_row(sessions, LEADER_ELECTED)
        follower = listening_relay(sessions, broadcast, relay_settings)
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
        await stop_relay_process(leader)
