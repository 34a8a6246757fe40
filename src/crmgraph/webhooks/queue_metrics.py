"""The outbound webhook job queue (webhook_jobs) as gauges, read from the database when asked
(as the consumers' lag is, crmgraph.events.consumers.metrics), so any process tells the truth
about every dispatcher's queue: its depth, the jobs whose next attempt is due (waiting for a
dispatcher), those due for longer than OVERDUE_AFTER (no dispatcher keeps up, or none runs),
and how long the oldest due job has waited. A job being sent is leased into the future
(crmgraph.webhooks.dispatcher), so it counts in the depth but not as due."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from prometheus_client import CollectorRegistry, Gauge, generate_latest
from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from crmgraph.db.models import WebhookJob
from crmgraph.db.types import utcnow

# A dispatcher looks for due jobs every fraction of a second; one a minute late is stuck.
OVERDUE_AFTER = timedelta(minutes=1)


@dataclass(frozen=True)
class WebhookQueue:
    jobs: int
    due: int
    overdue: int
    oldest_due_seconds: float  # 0 with none due


async def webhook_queue(session: AsyncSession, now: datetime | None = None) -> WebhookQueue:
    """The queue as it stands now."""
    now = now or utcnow()
    j = WebhookJob
    due = j.next_attempt_at <= now
    row = (
        await session.execute(
            select(
                func.count(),
                func.count(case((due, 1))),
                func.count(case((j.next_attempt_at <= now - OVERDUE_AFTER, 1))),
                func.min(case((due, j.next_attempt_at))),
            )
        )
    ).one()
    oldest: datetime | None = row[3]
    age = 0.0 if oldest is None else max((now - oldest).total_seconds(), 0.0)
    return WebhookQueue(int(row[0]), int(row[1]), int(row[2]), round(age, 3))


def prometheus_text(queue: WebhookQueue) -> bytes:
    """The Prometheus exposition format of queue."""
    registry = CollectorRegistry()
    gauges = (
        ("crmgraph_webhook_jobs", "Outbound webhook deliveries still to make (webhook_jobs)",
         queue.jobs),
        ("crmgraph_webhook_jobs_due", "Outbound webhook jobs whose next attempt is due",
         queue.due),
        ("crmgraph_webhook_jobs_overdue", "Outbound webhook jobs due for over a minute",
         queue.overdue),
        ("crmgraph_webhook_jobs_oldest_due_seconds", "How long the oldest due outbound "
         "webhook job has waited", queue.oldest_due_seconds),
    )  # fmt: skip
    for name, help_text, value in gauges:
        Gauge(name, help_text, registry=registry).set(value)
    return generate_latest(registry)
