"""Lag and dead letters per consumer, read from outbox_deliveries when asked (so any process
reports the truth of all of them), as data for /health/details and as Prometheus text."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from prometheus_client import CollectorRegistry, Gauge, generate_latest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from crmgraph.db.models import OutboxDelivery
from crmgraph.db.types import utcnow
from crmgraph.events import deliveries


@dataclass(frozen=True)
class ConsumerLag:
    """pending: events the consumer has still to handle (retries included);
    oldest_pending_seconds: how long the oldest of them has waited (0 with none);
    dead: dead letters, events it gave up on after its last attempt."""

    consumer: str
    pending: int
    oldest_pending_seconds: float
    dead: int


async def consumer_lag(session: AsyncSession, registered: Iterable[str]) -> list[ConsumerLag]:
    """Every registered consumer, and any other with rows (one since removed), by name."""
    d = OutboxDelivery
    rows = await session.execute(
        select(d.consumer, d.state, func.count(), func.min(d.created_at)).group_by(
            d.consumer, d.state
        )
    )
    counts: dict[tuple[str, str], tuple[int, datetime | None]] = {}
    for consumer, state, count, first in rows.all():
        counts[(consumer, state)] = (int(count), first)
    now = utcnow()
    out = []
    for name in sorted({*registered, *(consumer for consumer, _ in counts)}):
        pending, oldest = counts.get((name, deliveries.PENDING), (0, None))
        dead = counts.get((name, deliveries.DEAD), (0, None))[0]
        age = 0.0 if oldest is None else max((now - oldest).total_seconds(), 0.0)
        out.append(ConsumerLag(name, pending, round(age, 3), dead))
    return out


def prometheus_text(lags: Iterable[ConsumerLag]) -> bytes:
    """The Prometheus exposition format of lags."""
    registry = CollectorRegistry()
    pending = Gauge("crmgraph_consumer_pending_events", "Outbox events a consumer has still "
                    "to handle", ["consumer"], registry=registry)  # fmt: skip
    oldest = Gauge("crmgraph_consumer_oldest_pending_seconds", "Age of the oldest event a "
                   "consumer has still to handle", ["consumer"], registry=registry)  # fmt: skip
    dead = Gauge("crmgraph_consumer_dead_letters", "Events a consumer gave up on after its "
                 "last attempt", ["consumer"], registry=registry)  # fmt: skip
    outbox = Gauge("crmgraph_outbox_lag_seconds", "Age of the oldest outbox event some "
                   "consumer has still to handle", registry=registry)  # fmt: skip
    oldest_of_all = 0.0
    for lag in lags:
        oldest_of_all = max(oldest_of_all, lag.oldest_pending_seconds)
        pending.labels(lag.consumer).set(lag.pending)
        oldest.labels(lag.consumer).set(lag.oldest_pending_seconds)
        dead.labels(lag.consumer).set(lag.dead)
    outbox.set(oldest_of_all)
    return generate_latest(registry)
