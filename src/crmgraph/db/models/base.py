"""What every model shares: the declarative Base, its naming convention and column types,
and the mixins for tenant-owned rows and polymorphic activity links."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import (
    MetaData,
    Numeric,
    String,
    Uuid,
)
from sqlalchemy.ext.asyncio import AsyncAttrs
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

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


class ZohoLinked:
    """The Zoho record a row mirrors (crmgraph.zoho.mapping): Zoho's record id, unique per
    tenant (null for rows made here), and when Zoho last changed it, so an older change
    arriving late never overwrites a newer one."""

    zoho_id: Mapped[str | None] = mapped_column(String(64))
    zoho_modified_at: Mapped[datetime | None]


class RelatedTo:
    """Polymorphic link of an activity to a contact, lead, account or deal."""

    related_type: Mapped[str | None] = mapped_column(String(16))
    related_id: Mapped[uuid.UUID | None]
