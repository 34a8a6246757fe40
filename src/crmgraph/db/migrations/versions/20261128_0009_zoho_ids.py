"""zoho ids

Contacts, leads, deals and accounts mirrored from Zoho CRM (crmgraph.zoho.mapping) keep
Zoho's record id, unique per tenant (a unique index: rows made here have none, and nulls
never collide), and when Zoho last changed the record, so an older change delivered late
does not overwrite a newer one. A stored Zoho event records when the zoho-mapper consumer
applied it and what it became (processed_at, outcome, entity_id), in the same transaction,
so a retried or replayed delivery never applies it twice.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import crmgraph.db.types

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("accounts", "contacts", "deals", "leads")


def upgrade() -> None:
    op.add_column(
        "zoho_inbound_events",
        sa.Column("processed_at", crmgraph.db.types.UTCDateTime(), nullable=True),
    )
    op.add_column("zoho_inbound_events", sa.Column("outcome", sa.String(length=32), nullable=True))
    op.add_column("zoho_inbound_events", sa.Column("entity_id", sa.Uuid(), nullable=True))
    for table in TABLES:
        op.add_column(table, sa.Column("zoho_id", sa.String(length=64), nullable=True))
        op.add_column(
            table,
            sa.Column("zoho_modified_at", crmgraph.db.types.UTCDateTime(), nullable=True),
        )
        op.create_index(
            op.f(f"ix_{table}_tenant_id_zoho_id"), table, ["tenant_id", "zoho_id"], unique=True
        )


def downgrade() -> None:
    for table in TABLES:
        op.drop_index(op.f(f"ix_{table}_tenant_id_zoho_id"), table_name=table)
        # Not batch mode: on SQLite it would copy and drop the table, and with foreign keys
        # on, the drop would reach the rows that point at it. SQLite 3.35+ drops in place.
        op.drop_column(table, "zoho_modified_at")
        op.drop_column(table, "zoho_id")
    for column in ("entity_id", "outcome", "processed_at"):
        op.drop_column("zoho_inbound_events", column)
