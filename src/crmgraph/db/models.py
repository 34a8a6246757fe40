"""SQLAlchemy models of the six CRM domains; every row carries tenant_id."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any, ClassVar

from sqlalchemy import (
    BigInteger,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.ext.asyncio import AsyncAttrs
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from crmgraph.db.types import JSONType, UTCDateTime, utcnow

# Stable constraint names so Alembic migrations read the same on every database.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

Money = Numeric(18, 2)
# User ids come from the identity provider's tokens (the `sub` claim), so they are not
# foreign keys: the users table is a directory of the users we know, not a gate on writes.
UserRef = Uuid()


class Base(AsyncAttrs, DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSONType,
        list[str]: JSONType,
        list[dict[str, Any]]: JSONType,
    }


class TenantRow:
    """Columns every tenant-owned table has."""

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    tenant_id: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class User(TenantRow, Base):
    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("tenant_id", "email"),)

    email: Mapped[str] = mapped_column(String(320))
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(64), default="sales_rep")
    team: Mapped[str | None] = mapped_column(String(100))


class Account(TenantRow, Base):
    __tablename__ = "accounts"
    __table_args__ = (
        Index(None, "tenant_id", "created_at", "id"),
        Index(None, "tenant_id", "name"),
        Index(None, "tenant_id", "industry"),
        Index(None, "parent_account_id"),
        Index(None, "owner_id"),
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


class Lead(TenantRow, Base):
    __tablename__ = "leads"
    __table_args__ = (
        Index(None, "tenant_id", "created_at", "id"),
        Index(None, "tenant_id", "status"),
        Index(None, "tenant_id", "email"),
        Index(None, "owner_id"),
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


class Contact(TenantRow, Base):
    __tablename__ = "contacts"
    __table_args__ = (
        Index(None, "tenant_id", "created_at", "id"),
        Index(None, "tenant_id", "last_name", "first_name"),
        Index(None, "tenant_id", "email"),
        Index(None, "account_id"),
        Index(None, "owner_id"),
        Index(None, "lead_id"),
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


class Pipeline(TenantRow, Base):
    __tablename__ = "pipelines"
    __table_args__ = (Index(None, "tenant_id", "created_at", "id"),)

    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)


class PipelineStage(TenantRow, Base):
    __tablename__ = "pipeline_stages"
    __table_args__ = (UniqueConstraint("pipeline_id", "position"),)

    pipeline_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("pipelines.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    # "order" in the API; a reserved word in SQL.
    position: Mapped[int]
    probability: Mapped[int]
    automation_rules: Mapped[list[dict[str, Any]] | None]


class Deal(TenantRow, Base):
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
    __table_args__ = (Index(None, "deal_id", "created_at"),)

    deal_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("deals.id", ondelete="CASCADE"))
    from_stage_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("pipeline_stages.id"))
    to_stage_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("pipeline_stages.id"))
    changed_by_id: Mapped[uuid.UUID | None] = mapped_column(UserRef)
    reason: Mapped[str | None] = mapped_column(Text)


class RelatedTo:
    """Polymorphic link of an activity to a contact, lead, account or deal."""

    related_type: Mapped[str | None] = mapped_column(String(16))
    related_id: Mapped[uuid.UUID | None]


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


class OutboxEvent(Base):
    """A domain event written in the same transaction as the change it describes."""

    __tablename__ = "outbox_events"
    __table_args__ = (UniqueConstraint("aggregate_id", "sequence"),)

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
