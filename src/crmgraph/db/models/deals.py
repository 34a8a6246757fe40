"""Deals and their stage history (the deals subgraph)."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from crmgraph.db.models.base import Base, Money, TenantRow, UserRef, ZohoLinked
from crmgraph.db.types import utcnow

REPORT_COLUMNS = ("status", "value", "probability", "expected_close_date", "actual_close_date",
                  "created_at", "stage_id", "stage_entered_at", "owner_id")  # fmt: skip


class Deal(ZohoLinked, TenantRow, Base):
    __tablename__ = "deals"
    __table_args__ = (
        Index(None, "tenant_id", "created_at", "id"),
        Index(None, "tenant_id", "value"),
        Index(None, "tenant_id", "expected_close_date"),
        Index(None, "pipeline_id", "stage_id"),
        Index(None, "stage_id"),
        Index(None, "contact_id"),
        Index(None, "account_id"),
        Index(None, "owner_id"),
        Index(None, "tenant_id", "zoho_id", unique=True),
        # The reports (crmgraph.reporting) read a pipeline's deals from this index alone.
        Index(
            "ix_deals_tenant_id_pipeline_id_id_reports",
            "tenant_id",
            "pipeline_id",
            "id",
            postgresql_include=REPORT_COLUMNS,
        ),
    )

    title: Mapped[str] = mapped_column(String(300))
    value: Mapped[Decimal] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    pipeline_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("pipelines.id"))
    stage_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("pipeline_stages.id"))
    probability: Mapped[int]
    status: Mapped[str] = mapped_column(String(16), default="ACTIVE")
    expected_close_date: Mapped[datetime | None]
    actual_close_date: Mapped[datetime | None]
    description: Mapped[str | None] = mapped_column(Text)
    custom_fields: Mapped[dict[str, Any] | None]
    contact_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("contacts.id"))
    account_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("accounts.id"))
    owner_id: Mapped[uuid.UUID | None] = mapped_column(UserRef)
    stage_entered_at: Mapped[datetime] = mapped_column(default=utcnow)


class DealStageChange(TenantRow, Base):
    __tablename__ = "deal_stage_changes"
    __table_args__ = (
        Index(None, "deal_id", "created_at"),
        # Stays (crmgraph.db.stage_stays): each deal's changes in order, from the index alone.
        Index(
            "ix_deal_stage_changes_tenant_id_deal_id_created_at_id",
            "tenant_id",
            "deal_id",
            "created_at",
            "id",
            postgresql_include=("from_stage_id", "to_stage_id"),
        ),
        Index(None, "tenant_id", "created_at"),
    )

    deal_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("deals.id", ondelete="CASCADE"))
    from_stage_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("pipeline_stages.id"))
    to_stage_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("pipeline_stages.id"))
    changed_by_id: Mapped[uuid.UUID | None] = mapped_column(UserRef)
    reason: Mapped[str | None] = mapped_column(Text)
