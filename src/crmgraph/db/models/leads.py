"""Leads and their score history (the leads subgraph)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from crmgraph.db.models.base import Base, TenantRow, UserRef, ZohoLinked


class Lead(ZohoLinked, TenantRow, Base):
    __tablename__ = "leads"
    __table_args__ = (
        Index(None, "tenant_id", "created_at", "id"),
        Index(None, "tenant_id", "status"),
        Index(None, "tenant_id", "email"),
        Index(None, "owner_id"),
        Index(None, "tenant_id", "zoho_id", unique=True),
    )

    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str] = mapped_column(String(320))
    phone: Mapped[str | None] = mapped_column(String(50))
    company: Mapped[str | None] = mapped_column(String(300))
    job_title: Mapped[str | None] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(32), default="NEW")
    score: Mapped[int] = mapped_column(Integer, default=0)
    custom_fields: Mapped[dict[str, Any] | None]
    qualification_notes: Mapped[str | None] = mapped_column(Text)
    owner_id: Mapped[uuid.UUID | None] = mapped_column(UserRef)
    next_action: Mapped[str | None] = mapped_column(Text)
    converted_at: Mapped[datetime | None]
    # What convertLead made of the lead (use_alter: these tables point back at leads).
    converted_contact_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("contacts.id", use_alter=True)
    )
    converted_account_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("accounts.id", use_alter=True)
    )
    converted_deal_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("deals.id", use_alter=True)
    )


class LeadScoreHistory(TenantRow, Base):
    __tablename__ = "lead_score_history"
    __table_args__ = (Index(None, "lead_id", "created_at"),)

    lead_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"))
    previous_score: Mapped[int]
    new_score: Mapped[int]
    factors: Mapped[dict[str, Any] | None]
