"""The outbox_deliveries table: one row per event and consumer, from the writer's commit until
that consumer has handled the event.

enqueue() runs in the writer's transaction, so an event and its deliveries commit together:
no consumer can miss an event, and there is no gap to reason about in the outbox ids. claim()
takes a consumer's next batch (FOR UPDATE SKIP LOCKED on PostgreSQL); delivered() deletes the
rows handled, failed() records an attempt with its error and the time of the next one, or
turns the row into a dead letter after the consumer's last attempt. pending_for_tenant()
says whether a consumer is behind on one tenant's events.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from crmgraph.db.models import OutboxDelivery, OutboxEvent
from crmgraph.db.scoping import tenant_filter
from crmgraph.events import written
from crmgraph.events.consumer_topics import consumer_names

PENDING = "pending"
DEAD = "dead"
# Long enough to say what went wrong, short enough to keep a dead letter a small row.
MAX_ERROR_CHARS = 2000


def enqueue(
    session: AsyncSession, event: OutboxEvent, consumers: Iterable[str] | None = None
) -> None:
    """Add a pending delivery of event for each consumer (default: every registered one
    that wants its topic, crmgraph.events.consumer_topics); the caller's commit writes them
    with the event."""
    names = consumer_names(event.topic) if consumers is None else list(consumers)
    for name in names:
        session.add(OutboxDelivery(consumer=name, event=event))
    written.note(session, names)


@dataclass
class Claimed:
    """A claimed delivery and its event, locked until the claiming transaction ends."""

    delivery: OutboxDelivery
    event: OutboxEvent


def lock_key(consumer: str) -> int:
    """The advisory lock key of an ordered consumer: a stable signed 64-bit hash of its name."""
    digest = hashlib.blake2b(consumer.encode(), digest_size=8, person=b"crmgraph").digest()
    return int.from_bytes(digest, "big", signed=True)


async def take_turn(session: AsyncSession, consumer: str) -> bool:
    """For an ordered consumer: may this transaction handle it? One at a time on PostgreSQL
    (a transaction advisory lock, released at commit or when the connection dies); SQLite
    runs one process, whose runner handles each consumer in one task."""
    if session.get_bind().dialect.name != "postgresql":
        return True
    return bool(await session.scalar(select(func.pg_try_advisory_xact_lock(lock_key(consumer)))))


async def claim(
    session: AsyncSession,
    consumer: str,
    limit: int,
    *,
    ordered: bool,
    now: datetime,
    lock: bool = True,
    only: Sequence[int] | None = None,
) -> list[Claimed]:
    """The consumer's next pending deliveries in outbox id order, locked. Unordered: those
    due now, skipping rows another worker holds. Ordered: the due rows before the first one
    that is not due yet, so nothing overtakes an event waiting for its retry. lock=False
    only looks (what a prefetch reads before its batch); only: of these outbox ids alone."""
    d = OutboxDelivery
    stmt = (
        select(d, OutboxEvent)
        .join(OutboxEvent, OutboxEvent.id == d.outbox_id)
        .where(d.consumer == consumer, d.state == PENDING)
        .order_by(d.outbox_id)
        .limit(limit)
    )
    if not ordered:
        stmt = stmt.where(d.next_attempt_at <= now)
    if only is not None:
        stmt = stmt.where(d.outbox_id.in_(only))
    if lock and session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(of=d, skip_locked=True)
    rows = [Claimed(delivery, event) for delivery, event in (await session.execute(stmt)).all()]
    if ordered:
        due = [c.delivery.next_attempt_at <= now for c in rows]
        rows = rows[: due.index(False)] if False in due else rows
    return rows


async def delivered(session: AsyncSession, consumer: str, outbox_ids: Sequence[int]) -> None:
    """The consumer has handled these events: their rows go."""
    if outbox_ids:
        d = OutboxDelivery
        await session.execute(
            delete(d)
            .where(d.consumer == consumer, d.outbox_id.in_(outbox_ids))
            .execution_options(synchronize_session=False)
        )


def failed(
    delivery: OutboxDelivery,
    error: BaseException,
    *,
    now: datetime,
    retry_in: float,
    max_attempts: int | None,
) -> bool:
    """Record a failed attempt; returns True when it made the delivery a dead letter.
    max_attempts None: never dead (the consumer's dependency was down, the event is fine)."""
    delivery.attempts += 1
    delivery.last_error = (f"{type(error).__name__}: {error}")[:MAX_ERROR_CHARS]
    delivery.updated_at = now
    if max_attempts is not None and delivery.attempts >= max_attempts:
        delivery.state = DEAD
        return True
    delivery.next_attempt_at = now + timedelta(seconds=retry_in)
    return False


async def pending_for_tenant(session: AsyncSession, consumer: str, tenant: str) -> bool:
    """Has consumer a pending delivery of one of tenant's events (a dead letter aside)?

    One statement, cheap at any backlog: the tenant's events from the consumer's oldest
    pending one on (ix_outbox_events_tenant_id_id) merged with the consumer's deliveries (its
    primary key). With no backlog it reads one index entry."""
    d, e = OutboxDelivery, OutboxEvent
    oldest = select(func.min(d.outbox_id)).where(d.consumer == consumer, d.state == PENDING)
    found = (
        select(e.id)
        .join(d, and_(d.consumer == consumer, d.outbox_id == e.id, d.state == PENDING))
        .where(tenant_filter(e, tenant), e.id >= oldest.scalar_subquery())
    )
    return bool(await session.scalar(select(found.exists())))
