"""zoho inbound

zoho_orgs: the Zoho organisations a tenant accepts webhooks from, with the HMAC secret and
shared tokens their deliveries are checked with. zoho_inbound_events: each event of a
delivery, stored before it is acknowledged; UNIQUE(org_id, dedupe_key) makes a repeated
delivery a no-op, even when two copies arrive at once.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from crmgraph.db.migrations.columns import JSON, UTC, tenant_row

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "zoho_orgs",
        *tenant_row(),
        sa.Column("org_id", sa.String(length=64), nullable=False),
        sa.Column("secret", sa.Text(), nullable=True),
        sa.Column("tokens", JSON, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_zoho_orgs")),
        sa.UniqueConstraint("org_id", name=op.f("uq_zoho_orgs_org_id")),
    )
    op.create_table(
        "zoho_inbound_events",
        *tenant_row(),
        sa.Column("org_id", sa.String(length=64), nullable=False),
        sa.Column("module", sa.String(length=32), nullable=False),
        sa.Column("source_format", sa.String(length=32), nullable=False),
        sa.Column("dedupe_key", sa.String(length=512), nullable=False),
        sa.Column("zoho_module", sa.String(length=64), nullable=False),
        sa.Column("operation", sa.String(length=32), nullable=False),
        sa.Column("record_id", sa.String(length=128), nullable=True),
        sa.Column("event_time", UTC(), nullable=False),
        sa.Column("fields", JSON, nullable=False),
        sa.Column("correlation_id", sa.String(length=128), nullable=False),
        sa.Column("received_at", UTC(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_zoho_inbound_events")),
        sa.UniqueConstraint(
            "org_id", "dedupe_key", name=op.f("uq_zoho_inbound_events_org_id_dedupe_key")
        ),
    )


def downgrade() -> None:
    op.drop_table("zoho_inbound_events")
    op.drop_table("zoho_orgs")
