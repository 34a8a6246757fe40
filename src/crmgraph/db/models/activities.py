"""Tasks, events and communications, each linked to a contact, lead, account or deal
(the activities subgraph)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from crmgraph.db.models.base import Base, RelatedTo, TenantRow, UserRef


class Task(RelatedTo, TenantRow, Base):
    __tablename__ = "tasks"
    __table_args__ = (
        Index(None, "tenant_id", "created_at", "id"),
        Index(None, "related_type", "related_id"),
        Index(None, "assigned_to_id", "due_date"),
    )

    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str | None] = mapped_column(Text)
    due_date: Mapped[datetime | None]
    priority: Mapped[str] = mapped_column(String(16), default="MEDIUM")
    status: Mapped[str] = mapped_column(String(16), default="PENDING")
    assigned_to_id: Mapped[uuid.UUID | None] = mapped_column(UserRef)
    completed_at: Mapped[datetime | None]
    # Set once when the due notification has been emitted, so a restart does not repeat it.
    due_notified_at: Mapped[datetime | None]


class Event(RelatedTo, TenantRow, Base):
    __tablename__ = "events"
    __table_args__ = (
        Index(None, "tenant_id", "created_at", "id"),
        Index(None, "related_type", "related_id"),
        Index(None, "tenant_id", "start_time"),
    )

    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str | None] = mapped_column(Text)
    start_time: Mapped[datetime]
    end_time: Mapped[datetime]
    location: Mapped[str | None] = mapped_column(String(300))
    # User ids, as strings.
    attendee_ids: Mapped[list[str] | None]
    owner_id: Mapped[uuid.UUID | None] = mapped_column(UserRef)  # who created it


class Communication(RelatedTo, TenantRow, Base):
    __tablename__ = "communications"
    __table_args__ = (
        Index(None, "tenant_id", "created_at", "id"),
        Index(None, "related_type", "related_id"),
        Index(None, "tenant_id", "occurred_at"),
    )

    type: Mapped[str] = mapped_column(String(16))
    direction: Mapped[str] = mapped_column(String(16))
    subject: Mapped[str | None] = mapped_column(String(500))
    content: Mapped[str] = mapped_column(Text)
    occurred_at: Mapped[datetime]
    # Contact ids, as strings.
    participant_ids: Mapped[list[str] | None]
