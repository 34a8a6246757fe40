"""The webhook job queue's gauges (crmgraph.webhooks.queue_metrics) on SQLite, the embedded
mode's database: depth, due, overdue and the oldest due job's wait, at a given time."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.ext.asyncio import AsyncSession

from crmgraph.db import models
from crmgraph.webhooks.queue_metrics import WebhookQueue, prometheus_text, webhook_queue

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


async def test_the_queue_counts_due_and_overdue_jobs_at_a_time(session: AsyncSession) -> None:
    before = await webhook_queue(session, NOW)
    subscription = models.WebhookSubscription(
        tenant_id="t_queue", url="https://receiver.example/hook", events=["deal.updated"],
        filters={}, secret="s" * 32, retry_config={}, active=False,
    )  # fmt: skip
    session.add(subscription)
    await session.flush()
    for due in (NOW - timedelta(minutes=3), NOW - timedelta(seconds=5), NOW + timedelta(hours=1)):
        session.add(models.WebhookJob(
            tenant_id="t_queue", subscription_id=subscription.id, event_id=uuid.uuid4(),
            topic="deal.updated", body="{}", next_attempt_at=due,
        ))  # fmt: skip
    await session.flush()

    after = await webhook_queue(session, NOW)

    assert (after.jobs - before.jobs, after.due - before.due) == (3, 2)
    assert after.overdue - before.overdue == 1
    assert after.oldest_due_seconds >= 180


def test_the_gauges_are_prometheus_text() -> None:
    text = prometheus_text(WebhookQueue(jobs=4, due=2, overdue=1, oldest_due_seconds=75.5))
    values = {
        sample.name: sample.value
        for family in text_string_to_metric_families(text.decode())
        for sample in family.samples
    }

    assert values == {"crmgraph_webhook_jobs": 4, "crmgraph_webhook_jobs_due": 2,
                      "crmgraph_webhook_jobs_overdue": 1,
                      "crmgraph_webhook_jobs_oldest_due_seconds": 75.5}  # fmt: skip
