"""Outbound webhooks: a tenant's subscriptions, the deliveries still to make (jobs) and every
attempt made."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from crmgraph.db.models.base import Base, TenantRow
from crmgraph.db.sealed import Sealed


class WebhookSubscription(TenantRow, Base):
    """A receiver of the tenant's events. The secret signs each delivery, so it is kept,
    encrypted at rest (shown in full only when created); `active` goes false once the
    receiver failed retry_config's `disable_after_failures` times in a row (`disabled_at`,
    `disabled_reason`)."""

    __tablename__ = "webhook_subscriptions"
    __table_args__ = (Index(None, "tenant_id", "created_at", "id"),)

    url: Mapped[str] = mapped_column(Text)
    # Topic names (crmgraph.events.topics.Topic values).
    events: Mapped[list[str]]
    # Per topic, what an event must match (crmgraph.webhooks.filters).
    filters: Mapped[dict[str, Any]]
    secret: Mapped[str] = mapped_column(Sealed)
    retry_config: Mapped[dict[str, Any]]
    active: Mapped[bool] = mapped_column(default=True)
    consecutive_failures: Mapped[int] = mapped_column(default=0)
    disabled_at: Mapped[datetime | None]
    disabled_reason: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str | None] = mapped_column(String(200))


class WebhookDelivery(TenantRow, Base):
    """One attempt to deliver one event (or a ping) to one subscription."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        Index(None, "subscription_id", "created_at"),
        Index(None, "subscription_id", "event_id"),
    )

    subscription_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("webhook_subscriptions.id", ondelete="CASCADE")
    )
    event_id: Mapped[uuid.UUID]
    topic: Mapped[str] = mapped_column(String(64))
    attempt: Mapped[int]
    succeeded: Mapped[bool]
    status_code: Mapped[int | None]
    # The first RESPONSE_EXCERPT characters of the receiver's answer.
    response_excerpt: Mapped[str | None] = mapped_column(Text)
    error: Mapped[str | None] = mapped_column(Text)
    duration_ms: Mapped[int]


class WebhookJob(TenantRow, Base):
    """One event still to deliver to one subscription: written by the outbox consumer in its
    batch, claimed by a dispatcher (next_attempt_at moves on by a lease while it sends),
    deleted once delivered or out of attempts."""

    __tablename__ = "webhook_jobs"
    __table_args__ = (
        UniqueConstraint("subscription_id", "event_id"),
        Index(None, "next_attempt_at"),
    )

    subscription_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("webhook_subscriptions.id", ondelete="CASCADE")
    )
    event_id: Mapped[uuid.UUID]
    topic: Mapped[str] = mapped_column(String(64))
    # The exact bytes sent on every attempt (crmgraph.webhooks.payloads).
    body: Mapped[str] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime]
