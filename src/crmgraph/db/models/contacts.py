"""Contacts (the contacts subgraph)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from crmgraph.db.models.base import Base, TenantRow, UserRef, ZohoLinked


class Contact(ZohoLinked, TenantRow, Base):
    __tablename__ = "contacts"
    __table_args__ = (
        Index(None, "tenant_id", "created_at", "id"),
        Index(None, "tenant_id", "last_name", "first_name"),
        Index(None, "tenant_id", "email"),
        Index(None, "account_id"),
        Index(None, "owner_id"),
        Index(None, "lead_id"),
        Index(None, "tenant_id", "zoho_id", unique=True),
    )

    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str | None] = mapped_column(String(320))
    phone: Mapped[str | None] = mapped_column(String(50))
    company: Mapped[str | None] = mapped_column(String(300))
    job_title: Mapped[str | None] = mapped_column(String(200))
    address: Mapped[dict[str, Any] | None]
    custom_fields: Mapped[dict[str, Any] | None]
    account_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("accounts.id"))
    owner_id: Mapped[uuid.UUID | None] = mapped_column(UserRef)
    # The lead this contact was converted from (Contact.leadSource).
    lead_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("leads.id"))
