"""Column types and columns the migrations share, so each is written once: JSON (JSONB on
PostgreSQL), UTC (crmgraph.db.types.UTCDateTime) and tenant_row(), the four columns every
tenant-scoped row starts with (crmgraph.db.models' base: id, tenant_id, created_at,
updated_at).

It lives beside versions/, not in it: alembic reads every module there as a revision. A
migration builds the same schema for ever, so what this returns never changes; a new kind
of column gets a new helper.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

import crmgraph.db.types

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
UTC = crmgraph.db.types.UTCDateTime


def tenant_row() -> list[sa.Column[object]]:
    """Fresh columns for one table (a Column belongs to the one table it is given to)."""
    return [
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("created_at", UTC(), nullable=False),
        sa.Column("updated_at", UTC(), nullable=False),
    ]
