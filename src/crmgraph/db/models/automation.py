"""Runs of stage automation rules (crmgraph.domain.automation_runs): one row per rule whose
trigger an event fired, written in the same transaction as the rule's actions."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from crmgraph.db.models.base import Base, TenantRow


class AutomationRun(TenantRow, Base):
    __tablename__ = "automation_runs"
    __table_args__ = (
        # The idempotency key: a rule runs at most once per triggering event.
        UniqueConstraint("event_id", "rule_id"),
        Index(None, "tenant_id", "stage_id", "created_at", "id"),
        Index(None, "tenant_id", "deal_id", "created_at", "id"),
        Index(None, "tenant_id", "pipeline_id", "created_at", "id"),
    )

    event_id: Mapped[uuid.UUID]  # outbox_events.event_id of the triggering event
    rule_id: Mapped[uuid.UUID]
    trigger: Mapped[str] = mapped_column(String(64))
    pipeline_id: Mapped[uuid.UUID]
    stage_id: Mapped[uuid.UUID]
    deal_id: Mapped[uuid.UUID]
    outcome: Mapped[str] = mapped_column(String(32))  # SUCCEEDED | SKIPPED | FAILED
    actions: Mapped[list[dict[str, Any]]]
    error: Mapped[str | None] = mapped_column(Text)
