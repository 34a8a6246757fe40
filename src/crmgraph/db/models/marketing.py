"""Campaigns and the touchpoints recorded on leads and contacts (the leads subgraph), the
inputs of revenue attribution (crmgraph.domain.attribution) and of customer journeys."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from crmgraph.db.models.base import Base, Money, TenantRow


class Campaign(TenantRow, Base):
    __tablename__ = "campaigns"
    __table_args__ = (
        Index(None, "tenant_id", "created_at", "id"),
        Index(None, "tenant_id", "name"),
        Index(None, "tenant_id", "zoho_id", unique=True),
    )

    name: Mapped[str] = mapped_column(String(300))
    type: Mapped[str | None] = mapped_column(String(64))
    budget: Mapped[Decimal | None] = mapped_column(Money)
    start_date: Mapped[datetime | None]
    end_date: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(16), default="PLANNED")
    # Zoho CRM's Campaigns record it mirrors, when there is one.
    zoho_id: Mapped[str | None] = mapped_column(String(64))


class Touchpoint(TenantRow, Base):
    """One interaction of a lead or a contact (or both: a lead's touch stays the lead's after
    conversion; the journey reader follows leads to contacts and deals, rows are never copied)."""

    __tablename__ = "touchpoints"
    __table_args__ = (
        Index(None, "tenant_id", "occurred_at", "id"),
        Index(None, "lead_id", "occurred_at"),
        Index(None, "contact_id", "occurred_at"),
        Index(None, "campaign_id"),
    )

    lead_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"))
    contact_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE")
    )
    campaign_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("campaigns.id", ondelete="SET NULL")
    )
    utm_source: Mapped[str | None] = mapped_column(String(200))
    utm_medium: Mapped[str | None] = mapped_column(String(200))
    utm_campaign: Mapped[str | None] = mapped_column(String(200))
    utm_content: Mapped[str | None] = mapped_column(String(200))
    utm_term: Mapped[str | None] = mapped_column(String(200))
    referrer: Mapped[str | None] = mapped_column(Text)
    landing_page: Mapped[str | None] = mapped_column(Text)
    channel: Mapped[str | None] = mapped_column(String(64))
    occurred_at: Mapped[datetime]
