"""Users, accounts and the relationships between accounts (the accounts subgraph)."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from crmgraph.db.models.base import Base, Money, TenantRow, UserRef, ZohoLinked


class User(TenantRow, Base):
    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("tenant_id", "email"),)

    email: Mapped[str] = mapped_column(String(320))
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(64), default="sales_rep")
    team: Mapped[str | None] = mapped_column(String(100))
    # Short tags (crmgraph.domain.rep_choice) a qualified lead's facts are matched with.
    specializations: Mapped[list[str]] = mapped_column(default=list)


class Account(ZohoLinked, TenantRow, Base):
    __tablename__ = "accounts"
    __table_args__ = (
        Index(None, "tenant_id", "created_at", "id"),
        Index(None, "tenant_id", "name"),
        Index(None, "tenant_id", "industry"),
        Index(None, "parent_account_id"),
        Index(None, "owner_id"),
        Index(None, "tenant_id", "zoho_id", unique=True),
    )

    name: Mapped[str] = mapped_column(String(300))
    website: Mapped[str | None] = mapped_column(String(500))
    industry: Mapped[str | None] = mapped_column(String(100))
    employees: Mapped[int | None]
    annual_revenue: Mapped[Decimal | None] = mapped_column(Money)
    type: Mapped[str] = mapped_column(String(32), default="PROSPECT")
    address: Mapped[dict[str, Any] | None]
    custom_fields: Mapped[dict[str, Any] | None]
    parent_account_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("accounts.id"))
    owner_id: Mapped[uuid.UUID | None] = mapped_column(UserRef)


class AccountRelationship(TenantRow, Base):
    __tablename__ = "account_relationships"
    __table_args__ = (
        Index(None, "account_id"),
        Index(None, "related_account_id"),
    )

    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id"))
    related_account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id"))
    relationship_type: Mapped[str] = mapped_column(String(64))
    description: Mapped[str | None] = mapped_column(Text)
