"""A `crmgraph worker` SIGKILLed in the middle of sending a webhook delivery loses nothing:
once its lease runs out another worker sends the delivery again (at least once), with the same
X-CRM-Delivery-ID and a valid signature, records the attempt, and nothing is sent a third time.

Two moments of death: the receiver (a real HTTP server) holds the request unanswered; or it
has answered and the worker waits to record the attempt (this test holds the subscription row
locked, which recording locks first)."""

from __future__ import annotations

import asyncio
import signal
import uuid
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from crmgraph.config import Settings
from crmgraph.db import models
from crmgraph.webhooks.sender import DELIVERY_ID_HEADER, delivery_id
from tests.integration.consumers.support import (
    RECORDS_BLOCKED,
    new_tenant,
    start_worker,
    stop_worker,
    wait_for_row,
    webhook_jobs,
    webhook_of,
)
from tests.webhook_receiver import Receiver

TIMEOUT = 2.0  # the webhook's timeout_seconds
SLACK = 1.0  # WEBHOOK_LEASE_SLACK_SECONDS
WORKER_ENV = {
    "WEBHOOK_ALLOW_PRIVATE_TARGETS": "true",
    "WEBHOOK_LEASE_SLACK_SECONDS": str(SLACK),
}
# The killed worker waits to lock the subscription to record its attempt.
RECORDING_BLOCKED = f"SELECT ({RECORDS_BLOCKED}) = 1"


async def pending_delivery(
    sessions: async_sessionmaker[AsyncSession], tenant: str, url: str
) -> tuple[uuid.UUID, uuid.UUID]:
    """A webhook and one delivery for it: (webhook, event)."""
    webhook = await webhook_of(sessions, tenant, url, {"timeout_seconds": TIMEOUT})
    [event_id] = await webhook_jobs(sessions, tenant, webhook, 1)
    return webhook, event_id


async def attempts(
    sessions: async_sessionmaker[AsyncSession], webhook: uuid.UUID
) -> list[models.WebhookDelivery]:
    async with sessions() as session:
        d = models.WebhookDelivery
        return list(await session.scalars(select(d).where(d.subscription_id == webhook)))


async def jobs(sessions: async_sessionmaker[AsyncSession], webhook: uuid.UUID) -> int:
    async with sessions() as session:
        j = models.WebhookJob
        return len(list(await session.scalars(select(j).where(j.subscription_id == webhook))))


async def sent_again_once(
    sessions: async_sessionmaker[AsyncSession], settings: Settings, receiver: Receiver,
    path: str, webhook: uuid.UUID, event_id: uuid.UUID, log: Path,
) -> None:  # fmt: skip
    """Another worker sends the delivery a second time, after the lease, and records it; no
    third send follows."""
    restarted = await start_worker(settings, log, WORKER_ENV)
    try:
        await asyncio.to_thread(receiver.wait_for, path, 2, 20)
        await wait_for_row(
            sessions, f"SELECT count(*) = 1 FROM webhook_deliveries WHERE event_id = '{event_id}'"
        )
        await asyncio.sleep(TIMEOUT + SLACK + 1)  # a lease more: time for a third send
    finally:
        assert await stop_worker(restarted) == 0

    first, second = receiver.at(path)
    # Not before the lease taken with the first send ran out.
    assert second.at - first.at >= TIMEOUT + SLACK - 0.2
    assert first.verified and second.verified
    assert first.body == second.body
    expected = str(delivery_id(webhook, event_id))
    assert first.headers[DELIVERY_ID_HEADER] == second.headers[DELIVERY_ID_HEADER] == expected
    assert first.headers["X-CRM-Event-ID"] == second.headers["X-CRM-Event-ID"] == str(event_id)
    [attempt] = await attempts(sessions, webhook)
    assert (attempt.succeeded, attempt.status_code, attempt.attempt) == (True, 200, 1)
    assert await jobs(sessions, webhook) == 0
    assert len(receiver.at(path)) == 2


async def test_worker_killed_while_the_receiver_holds_the_request(
    sessions: async_sessionmaker[AsyncSession], outbox_settings: Settings, tmp_path: Path,
    receiver: Receiver,
) -> None:  # fmt: skip
    tenant = new_tenant()
    receiver.delays["/held"] = 10 * TIMEOUT  # past the send's timeout: still unanswered
    webhook, event_id = await pending_delivery(sessions, tenant, f"{receiver.url}/held")

    doomed = await start_worker(outbox_settings, tmp_path / "doomed.log", WORKER_ENV)
    try:
        await asyncio.to_thread(receiver.wait_for, "/held", 1, 20)
    finally:
        doomed.send_signal(signal.SIGKILL)
        assert await doomed.wait() == -signal.SIGKILL
    receiver.delays["/held"] = 0
    assert await attempts(sessions, webhook) == []

    await sent_again_once(sessions, outbox_settings, receiver, "/held", webhook, event_id,
                          tmp_path / "restarted.log")  # fmt: skip


async def test_worker_killed_after_the_answer_before_recording_it(
    sessions: async_sessionmaker[AsyncSession], outbox_settings: Settings, tmp_path: Path,
    receiver: Receiver,
) -> None:  # fmt: skip
    tenant = new_tenant()
    webhook, event_id = await pending_delivery(sessions, tenant, f"{receiver.url}/answered")

    async with sessions() as holder, holder.begin():
        await holder.get(models.WebhookSubscription, webhook, with_for_update=True)
        doomed = await start_worker(outbox_settings, tmp_path / "doomed.log", WORKER_ENV)
        try:
            await wait_for_row(sessions, RECORDING_BLOCKED)
        finally:
            doomed.send_signal(signal.SIGKILL)
            assert await doomed.wait() == -signal.SIGKILL
    assert len(receiver.at("/answered")) == 1
    assert await attempts(sessions, webhook) == []

    await sent_again_once(sessions, outbox_settings, receiver, "/answered", webhook, event_id,
                          tmp_path / "restarted.log")  # fmt: skip
