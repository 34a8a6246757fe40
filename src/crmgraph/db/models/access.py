"""Who may do what: tenant-defined role permissions and integrations' API keys."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from crmgraph.db.models.base import Base, TenantRow
from crmgraph.db.types import utcnow


class TenantRole(Base):
    """A tenant's own permissions for a role, replacing the built-in ones (auth.rbac)."""

    __tablename__ = "tenant_roles"

    tenant_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    role: Mapped[str] = mapped_column(String(64), primary_key=True)
    permissions: Mapped[list[str]]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class ApiKey(TenantRow, Base):
    """An integration's credential: shown once, stored as a SHA-256 of its secret."""

    __tablename__ = "api_keys"
    __table_args__ = (Index(None, "tenant_id", "created_at", "id"),)

    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    # The public half, sent as X-API-Key; unique across tenants so it finds the row.
    key: Mapped[str] = mapped_column(String(64), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(64))
    permissions: Mapped[list[str]]
    rate_limit_tier: Mapped[str] = mapped_column(String(32), default="api_integration")
    ip_allowlist: Mapped[list[str] | None]
    expires_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]
    created_by: Mapped[str | None] = mapped_column(String(200))
