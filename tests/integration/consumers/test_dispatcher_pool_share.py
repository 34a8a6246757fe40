"""The webhook dispatcher runs on the consumer runner's connection pool and holds at most its
share of it (WebhookConsumer.background_connections): with every in-flight delivery waiting
to record its attempt (the subscription row is locked by this test), the runner's batches
still get connections and the outbox keeps moving; and the pool is what the README's
connection budget counts."""

from __future__ import annotations

import asyncio

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from crmgraph.config import Settings
from crmgraph.db import models
from crmgraph.events.consumers import CONSUMERS
from crmgraph.events.consumers.redis_publisher import RedisPublisher
from crmgraph.events.consumers.runner import pool_size
from crmgraph.events.consumers.webhooks import WebhookConsumer
from crmgraph.runtime import Runtime, connection_budget
from crmgraph.webhooks.dispatcher import PER_SUBSCRIPTION
from tests.integration.consumers.support import (
    RECORDS_BLOCKED,
    all_published,
    new_tenant,
    running,
    scalar,
    wait_for_row,
    webhook_jobs,
    webhook_of,
    write_events,
)
from tests.webhook_receiver import Receiver


async def test_dispatcher_waiting_to_record_leaves_the_batches_connections(
    sessions: async_sessionmaker[AsyncSession], outbox_settings: Settings, receiver: Receiver
) -> None:
    tenant = new_tenant()
    webhook = await webhook_of(sessions, tenant, f"{receiver.url}/slow")
    await webhook_jobs(sessions, tenant, webhook, PER_SUBSCRIPTION)
    settings = outbox_settings.model_copy(update={"webhook_allow_private_targets": True})
    runtime = await Runtime.open(settings)
    try:
        async with sessions() as holder, holder.begin():
            await holder.get(models.WebhookSubscription, webhook, with_for_update=True)
            async with running(runtime.create_runner()):
                await asyncio.to_thread(receiver.wait_for, "/slow", PER_SUBSCRIPTION, 20)
                await wait_for_row(sessions, f"SELECT ({RECORDS_BLOCKED}) > 0")
                await write_events(sessions, tenant, 2)
                await all_published(sessions, tenant, within=5, consumer=RedisPublisher.name)
                blocked = await scalar(sessions, RECORDS_BLOCKED)
                await holder.rollback()
                await wait_for_row(
                    sessions,
                    f"SELECT count(*) = {PER_SUBSCRIPTION} FROM webhook_deliveries"
                    f" WHERE subscription_id = '{webhook}' AND succeeded",
                )
    finally:
        await runtime.close()

    assert blocked == WebhookConsumer.background_connections


def test_connection_budget_counts_the_runner_pool_and_listener(pg_settings: Settings) -> None:
    # The README's figures, DB_POOL_SIZE 8: 8 read + 4 write, and with the consumers the
    # runner's pool (a connection per consumer, the dispatcher's 2, the Zoho channel
    # renewal's 1, the due-task scan) + LISTEN.
    settings = pg_settings.model_copy(update={"db_pool_size": 8})
    assert pool_size(CONSUMERS) == len(CONSUMERS) + 2 + 1 + 1 == 11
    assert connection_budget(settings, consumers=False) == 12
    assert connection_budget(settings, consumers=True) == 24
