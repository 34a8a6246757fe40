"""The transactional outbox: domain events written with the change they describe."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crmgraph.db.models.base import Base
from crmgraph.db.types import utcnow


class OutboxEvent(Base):
    """A domain event written in the same transaction as the change it describes."""

    __tablename__ = "outbox_events"
    # (tenant_id, id): a tenant's recent events, what deliveries.pending_for_tenant reads.
    __table_args__ = (UniqueConstraint("aggregate_id", "sequence"), Index(None, "tenant_id", "id"))

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    event_id: Mapped[uuid.UUID] = mapped_column(default=uuid.uuid4, unique=True)
    tenant_id: Mapped[str] = mapped_column(String(64))
    topic: Mapped[str] = mapped_column(String(64))
    aggregate_type: Mapped[str] = mapped_column(String(32))
    aggregate_id: Mapped[uuid.UUID]
    sequence: Mapped[int]
    payload: Mapped[dict[str, Any]]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class OutboxDelivery(Base):
    """An outbox event one consumer has still to handle (crmgraph.events.consumers): written
    with the event, deleted once handled; `dead` after too many attempts (a dead letter)."""

    __tablename__ = "outbox_deliveries"
    __table_args__ = (Index(None, "outbox_id"),)

    consumer: Mapped[str] = mapped_column(String(64), primary_key=True)
    outbox_id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"),
        ForeignKey("outbox_events.id", ondelete="CASCADE"),
        primary_key=True,
    )
    state: Mapped[str] = mapped_column(String(16), default="pending")  # pending | dead
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    # Set when enqueued, so the event's insert (and id) comes first; never loaded lazily.
    event: Mapped[OutboxEvent] = relationship(lazy="raise")
