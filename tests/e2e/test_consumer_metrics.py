"""The outbox consumers' lag and dead letters, read from the database at each request: in
GET /health/details and as Prometheus text at GET /metrics, for system admins only."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import delete

from crmgraph.db import models
from crmgraph.events import deliveries
from crmgraph.events.consumers.redis_publisher import RedisPublisher
from tests.stack import Stack


@pytest.fixture
def stalled_consumer(stack: Stack, tenant: str) -> Iterator[str]:
    """A consumer (by name: no process runs it) with one dead letter and one event pending
    for a minute, in the stack's database; removed afterwards."""
    name = f"test-stalled-{uuid.uuid4().hex[:8]}"
    minute_ago = datetime.now(UTC) - timedelta(minutes=1)

    async def write() -> None:
        async with stack.runtime.sessions() as session, session.begin():
            for sequence, state in enumerate((deliveries.DEAD, deliveries.PENDING), start=1):
                event = models.OutboxEvent(
                    tenant_id=tenant, topic="deal.updated", aggregate_type="deal",
                    aggregate_id=uuid.uuid4(), sequence=sequence, payload={"data": {}},
                )  # fmt: skip
                session.add(event)
                session.add(models.OutboxDelivery(
                    consumer=name, event=event, state=state, attempts=3, created_at=minute_ago,
                    last_error="ValueError: no such deal",
                ))  # fmt: skip

    async def remove() -> None:
        async with stack.runtime.sessions() as session, session.begin():
            await session.execute(
                delete(models.OutboxDelivery).where(models.OutboxDelivery.consumer == name)
            )

    stack.call(write)
    yield name
    stack.call(remove)


def get(stack: Stack, path: str, token: str | None) -> httpx.Response:
    headers = {} if token is None else {"authorization": f"Bearer {token}"}
    return httpx.get(f"{stack.rest_url}{path}", headers=headers)


def test_metrics_need_a_system_admin(stack: Stack, tenant: str) -> None:
    anonymous = get(stack, "/metrics", None)
    tenant_admin = get(stack, "/metrics", stack.token(tenant))

    assert anonymous.status_code == 401
    assert tenant_admin.status_code == 403
    assert tenant_admin.json()["errors"][0]["details"]["required_permissions"] == ["*"]
    assert "crmgraph_consumer" not in anonymous.text + tenant_admin.text


def test_metrics_give_each_consumers_lag_and_dead_letters(
    stack: Stack, tenant: str, stalled_consumer: str
) -> None:
    response = get(stack, "/metrics", stack.token(tenant, roles=("system_admin",)))
    samples = {
        (sample.name, sample.labels["consumer"]): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
        if "consumer" in sample.labels
    }

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    assert samples[("crmgraph_consumer_dead_letters", stalled_consumer)] == 1
    assert samples[("crmgraph_consumer_pending_events", stalled_consumer)] == 1
    assert 60 <= samples[("crmgraph_consumer_oldest_pending_seconds", stalled_consumer)] < 120
    # The registered consumer is always there, even with nothing pending.
    assert ("crmgraph_consumer_pending_events", RedisPublisher.name) in samples


def test_health_details_give_the_same_per_consumer(
    stack: Stack, tenant: str, stalled_consumer: str
) -> None:
    response = get(stack, "/health/details", stack.token(tenant, roles=("system_admin",)))
    consumers = response.json()["data"]["consumers"]

    assert response.status_code == 200
    assert RedisPublisher.name in consumers
    mine = consumers[stalled_consumer]
    assert (mine["pending"], mine["dead"]) == (1, 1)
    assert 60 <= mine["oldest_pending_seconds"] < 120


QUEUE_GAUGES = (
    "crmgraph_webhook_jobs",
    "crmgraph_webhook_jobs_due",
    "crmgraph_webhook_jobs_overdue",
    "crmgraph_webhook_jobs_oldest_due_seconds",
)


def queue_gauges(stack: Stack, tenant: str) -> dict[str, float]:
    response = get(stack, "/metrics", stack.token(tenant, roles=("system_admin",)))
    assert response.status_code == 200
    return {
        sample.name: sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
        if sample.name in QUEUE_GAUGES
    }


@contextlib.contextmanager
def stuck_jobs(stack: Stack, tenant: str) -> Iterator[None]:
    """Three jobs of a subscription no dispatcher sends to (inactive): due two minutes ago,
    due five seconds ago, due in an hour; removed afterwards with their subscription."""
    now = datetime.now(UTC)
    subscription = models.WebhookSubscription(
        tenant_id=tenant, url="https://receiver.example/hook", events=["deal.updated"],
        filters={}, secret="s" * 32, retry_config={}, active=False,
    )  # fmt: skip

    async def write() -> None:
        async with stack.runtime.sessions() as session, session.begin():
            session.add(subscription)
            await session.flush()
            for due in (now - timedelta(minutes=2), now - timedelta(seconds=5),
                        now + timedelta(hours=1)):  # fmt: skip
                session.add(models.WebhookJob(
                    tenant_id=tenant, subscription_id=subscription.id, event_id=uuid.uuid4(),
                    topic="deal.updated", body="{}", next_attempt_at=due,
                ))  # fmt: skip

    async def remove() -> None:
        async with stack.runtime.sessions() as session, session.begin():
            sub = models.WebhookSubscription
            await session.execute(delete(sub).where(sub.id == subscription.id))

    stack.call(write)
    yield
    stack.call(remove)


def test_metrics_give_the_webhook_job_queue(stack: Stack, tenant: str) -> None:
    """Depth, due, overdue (due over a minute) and the oldest due job's wait, counted over
    the whole queue: the jobs this test adds move them by exactly their own."""
    before = queue_gauges(stack, tenant)
    with stuck_jobs(stack, tenant):
        after = queue_gauges(stack, tenant)

    assert set(before) == set(QUEUE_GAUGES)
    assert after["crmgraph_webhook_jobs"] - before["crmgraph_webhook_jobs"] == 3
    assert after["crmgraph_webhook_jobs_due"] - before["crmgraph_webhook_jobs_due"] == 2
    assert after["crmgraph_webhook_jobs_overdue"] - before["crmgraph_webhook_jobs_overdue"] == 1
    assert after["crmgraph_webhook_jobs_oldest_due_seconds"] >= 120
