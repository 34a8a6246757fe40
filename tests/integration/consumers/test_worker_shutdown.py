"""`crmgraph worker` on SIGTERM mid-batch: it has claimed and published a batch and waits to
commit it (a real table lock holds its DELETE); it reports draining on /readyz, finishes
and commits the batch once the lock goes, and exits 0. Nothing is lost and nothing is sent
again by the next worker."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

import httpx
import pytest
from broadcaster import Broadcast
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from crmgraph.config import Settings
from crmgraph.events import bus
from crmgraph.events.consumers.redis_publisher import RedisPublisher
from tests.integration.consumers.support import (
    all_published,
    event_ids,
    new_tenant,
    receive,
    start_worker,
    stop_worker,
    unpublished,
    wait_for_row,
    write_events,
)
from tests.integration.consumers.test_worker_crash import MARKING_BLOCKED, outbox_frozen
from tests.ports import free_port


async def status(client: httpx.AsyncClient, url: str) -> tuple[int, str]:
    answer = await client.get(url)
    return answer.status_code, answer.json()["status"]


async def ready(client: httpx.AsyncClient, url: str, within: float = 60) -> None:
    """Until the worker's /readyz answers 200: it runs its consumers."""
    async with asyncio.timeout(within):
        while True:
            try:
                if (await client.get(url)).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)


async def test_worker_sigterm_mid_batch_commits_it_and_loses_nothing(
    sessions: async_sessionmaker[AsyncSession],
    broadcast: Broadcast,
    outbox_settings: Settings,
    tmp_path: Path,
) -> None:
    tenant = new_tenant()
    port = free_port()
    probes = f"http://127.0.0.1:{port}"
    async with (
        broadcast.subscribe(bus.channel_for(tenant, "deal.updated")) as subscriber,
        httpx.AsyncClient(timeout=10) as client,
    ):
        await write_events(sessions, tenant, 20, consumers=[RedisPublisher.name])
        written = await event_ids(sessions, tenant)
        async with outbox_frozen(sessions):
            worker = await start_worker(outbox_settings, tmp_path / "worker.log",
                                        {"WORKER_HEALTH_PORT": str(port)})  # fmt: skip
            first = await receive(subscriber, 20, within=30)
            await wait_for_row(sessions, MARKING_BLOCKED)
            assert await status(client, f"{probes}/livez") == (200, "ok")
            assert await status(client, f"{probes}/readyz") == (200, "ok")
            worker.send_signal(signal.SIGTERM)
            await asyncio.sleep(0.5)
            assert worker.returncode is None  # waiting for its batch, not gone
            assert await status(client, f"{probes}/readyz") == (503, "draining")
        async with asyncio.timeout(20):
            assert await worker.wait() == 0
    # The batch it had published was committed before it exited.
    assert await unpublished(sessions, tenant) == 0
    assert {e.event_id for e in first} == written
    assert len(first) == len(written)

    port = free_port()
    async with (
        broadcast.subscribe(bus.channel_for(tenant, "deal.updated")) as subscriber,
        httpx.AsyncClient(timeout=10) as client,
    ):
        again = await start_worker(outbox_settings, tmp_path / "again.log",
                                   {"WORKER_HEALTH_PORT": str(port)})  # fmt: skip
        try:
            await ready(client, f"http://127.0.0.1:{port}/readyz")
            await all_published(sessions, tenant, within=10)
            with pytest.raises(TimeoutError):  # nothing sent a second time
                await receive(subscriber, 1, within=2.0)
        finally:
            assert await stop_worker(again) == 0
