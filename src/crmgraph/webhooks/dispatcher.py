"""The webhook dispatcher: sends the pending deliveries (webhook_jobs), each on its own.

Every process that runs the outbox consumers runs one (crmgraph.events.consumers.webhooks).
It claims due jobs in a short transaction (FOR UPDATE SKIP LOCKED on PostgreSQL, so
dispatchers of several workers never take the same one) and leases them by moving their
next attempt past the send's timeout, commits, then sends each in a task of its own, outside
any transaction, and records the attempt in another short one. So a slow or failing receiver
holds a few of MAX_IN_FLIGHT slots (at most PER_SUBSCRIPTION jobs of one subscription are
taken at a time), never a transaction, another subscription's deliveries or, on SQLite, the
database's write lock. A process that dies mid-send leaves the lease to run out: the job is
sent again (at least once, with the same X-CRM-Delivery-ID, by which receivers drop repeats).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta
from uuid import UUID

import httpx
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from crmgraph.db import models
from crmgraph.db.types import utcnow
from crmgraph.domain.webhooks import RetryConfig
from crmgraph.rest.metrics import WEBHOOK_DELIVERIES
from crmgraph.webhooks.sender import Attempt, delivery_id, send

log = logging.getLogger("crmgraph.webhooks")

MAX_IN_FLIGHT = 32
PER_SUBSCRIPTION = 4
POLL_INTERVAL = 0.2  # seconds between looks for due jobs


@dataclass(frozen=True)
class Claimed:
    """A job leased for one attempt, with what sending it needs."""

    job_id: UUID
    tenant_id: str
    subscription_id: UUID
    event_id: UUID
    topic: str
    body: bytes
    attempt: int
    url: str
    secret: str
    retry: RetryConfig


def attempt_row(
    *, tenant_id: str, subscription_id: UUID, event_id: UUID, topic: str, number: int,
    attempt: Attempt,
) -> models.WebhookDelivery:  # fmt: skip
    """The webhook_deliveries row of one attempt."""
    return models.WebhookDelivery(
        tenant_id=tenant_id,
        subscription_id=subscription_id,
        event_id=event_id,
        topic=topic,
        attempt=number,
        succeeded=attempt.succeeded,
        status_code=attempt.status_code,
        response_excerpt=attempt.response_excerpt,
        error=attempt.error,
        duration_ms=attempt.duration_ms,
    )


class Dispatcher:
    """Sends on the sessions it is given: the runner's own engine, so that its polling never
    takes, or waits for, a connection that requests need; and holds at most `connections` of
    them at once (its share of that pool), so recording many answers, or waiting for a
    subscription's lock to record one, never leaves the runner's batches without one."""

    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], *, allow_private: bool,
        lease_slack: float, connections: int,
    ) -> None:  # fmt: skip
        """lease_slack: seconds past a send's timeout before another dispatcher may take
        the job again (WEBHOOK_LEASE_SLACK_SECONDS)."""
        self.sessions = sessions
        self.allow_private = allow_private
        self.lease_slack = lease_slack
        self._connections = asyncio.Semaphore(connections)
        self._wake = asyncio.Event()
        self._in_flight: Counter[UUID] = Counter()

    def wake(self) -> None:
        """Look for due jobs now rather than at the next poll."""
        self._wake.set()

    async def run(self) -> None:
        """Claim and send until cancelled; a database outage is logged and waited out."""
        tasks: set[asyncio.Task[None]] = set()
        failing = False
        async with httpx.AsyncClient() as client:
            try:
                while True:
                    self._wake.clear()
                    free = MAX_IN_FLIGHT - len(tasks)
                    claimed: list[Claimed] = []
                    if free > 0:
                        try:
                            claimed = await self.claim(free)
                            failing = False
                        except Exception as exc:
                            if not failing:
                                log.warning("webhook dispatcher paused: %s", exc)
                            failing = True
                    for job in claimed:
                        task = asyncio.create_task(self._deliver(client, job))
                        tasks.add(task)
                        task.add_done_callback(tasks.discard)
                    if not claimed:
                        with contextlib.suppress(TimeoutError):
                            async with asyncio.timeout(POLL_INTERVAL):
                                await self._wake.wait()
            finally:
                for task in tasks:
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)

    async def claim(self, limit: int) -> list[Claimed]:
        """Lease up to limit due jobs of active subscriptions."""
        j, s = models.WebhookJob, models.WebhookSubscription
        now = utcnow()
        busy = [sub for sub, n in self._in_flight.items() if n >= PER_SUBSCRIPTION]
        async with self._connections, self.sessions() as session, session.begin():
            stmt = (
                select(j, s)
                .join(s, s.id == j.subscription_id)
                .where(j.next_attempt_at <= now, s.active.is_(True))
                .order_by(j.next_attempt_at)
                .limit(limit)
            )
            if busy:
                stmt = stmt.where(j.subscription_id.not_in(busy))
            if session.get_bind().dialect.name == "postgresql":
                stmt = stmt.with_for_update(of=j, skip_locked=True)
            taken: list[Claimed] = []
            for job, sub in (await session.execute(stmt)).all():
                if self._in_flight[sub.id] >= PER_SUBSCRIPTION:
                    continue
                retry = RetryConfig.parse(sub.retry_config)
                lease = retry.timeout_seconds + self.lease_slack
                job.next_attempt_at = now + timedelta(seconds=lease)
                self._in_flight[sub.id] += 1
                taken.append(Claimed(
                    job.id, job.tenant_id, sub.id, job.event_id, job.topic, job.body.encode(),
                    job.attempts + 1, sub.url, sub.secret, retry,
                ))  # fmt: skip
        return taken

    async def _deliver(self, client: httpx.AsyncClient, job: Claimed) -> None:
        try:
            attempt = await send(
                client, url=job.url, secret=job.secret, body=job.body,
                event_id=str(job.event_id), delivery=delivery_id(job.subscription_id, job.event_id),
                topic=job.topic,
                wait=job.retry.timeout_seconds, allow_private=self.allow_private,
            )  # fmt: skip
            disabled = await self.record(job, attempt)
            WEBHOOK_DELIVERIES.labels(outcome=attempt.outcome(disabled=disabled)).inc()
        except Exception:  # the lease runs out and the job comes again
            log.exception("webhook delivery %s could not be recorded", job.job_id)
        finally:
            self._in_flight[job.subscription_id] -= 1
            if self._in_flight[job.subscription_id] <= 0:
                del self._in_flight[job.subscription_id]

    async def record(self, job: Claimed, attempt: Attempt) -> bool:
        """The attempt's row; the job deleted (delivered, or out of attempts) or rescheduled;
        the subscription's run of failures counted, and it disabled when that is too long.
        Returns whether this attempt disabled it."""
        now = utcnow()
        async with self._connections, self.sessions() as session, session.begin():
            sub = await session.get(models.WebhookSubscription, job.subscription_id,
                                    with_for_update=True)  # fmt: skip
            row = await session.get(models.WebhookJob, job.job_id, with_for_update=True)
            if sub is None or row is None:
                return False  # deleted meanwhile
            session.add(attempt_row(
                tenant_id=job.tenant_id, subscription_id=sub.id, event_id=job.event_id,
                topic=job.topic, number=job.attempt, attempt=attempt,
            ))  # fmt: skip
            if attempt.succeeded:
                sub.consecutive_failures = 0
                await session.delete(row)
                return False
            sub.consecutive_failures += 1
            row.attempts = job.attempt
            if job.attempt > job.retry.max_retries:
                await session.delete(row)
            else:
                row.next_attempt_at = now + timedelta(seconds=job.retry.backoff(job.attempt))
            if sub.active and sub.consecutive_failures >= job.retry.disable_after_failures:
                sub.active = False
                sub.disabled_at = now
                sub.disabled_reason = (
                    f"disabled after {sub.consecutive_failures} failed deliveries in a row; "
                    f"the last: {attempt.error}"
                )
                await session.execute(
                    delete(models.WebhookJob).where(models.WebhookJob.subscription_id == sub.id)
                )
                log.warning("webhook %s disabled: %s", sub.id, sub.disabled_reason)
                return True
            return False
