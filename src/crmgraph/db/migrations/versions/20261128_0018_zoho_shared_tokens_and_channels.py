"""zoho shared tokens and channels

zoho_access_tokens: the access token each organisation's OAuth client last made, sealed,
with its expiry, shared by every process so that N workers make one token call, not N
(crmgraph.zoho.access_tokens). zoho_watch_channels: the Zoho CRM notification channels
crmgraph enabled, with their expiry and when a worker renews each next
(crmgraph.zoho.channels).

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from crmgraph.db.migrations.columns import JSON, UTC, tenant_row

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "zoho_access_tokens",
        *tenant_row(),
        sa.Column("org_id", sa.String(length=64), nullable=False),
        sa.Column("client_hash", sa.String(length=64), nullable=False),
        sa.Column("access_token", sa.Text(), nullable=False),
        sa.Column("api_domain", sa.Text(), nullable=False),
        sa.Column("expires_at", UTC(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_zoho_access_tokens")),
        sa.UniqueConstraint("org_id", name=op.f("uq_zoho_access_tokens_org_id")),
    )
    op.create_table(
        "zoho_watch_channels",
        *tenant_row(),
        sa.Column("org_id", sa.String(length=64), nullable=False),
        sa.Column("channel_id", sa.String(length=32), nullable=False),
        sa.Column("events", JSON, nullable=False),
        sa.Column("notify_url", sa.Text(), nullable=False),
        sa.Column("channel_expiry", UTC(), nullable=False),
        sa.Column("renew_at", UTC(), nullable=False),
        sa.Column("renewed_at", UTC(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_zoho_watch_channels")),
        sa.UniqueConstraint(
            "org_id", "channel_id", name=op.f("uq_zoho_watch_channels_org_id_channel_id")
        ),
    )
    op.create_index(op.f("ix_zoho_watch_channels_renew_at"), "zoho_watch_channels", ["renew_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_zoho_watch_channels_renew_at"), table_name="zoho_watch_channels")
    op.drop_table("zoho_watch_channels")
    op.drop_table("zoho_access_tokens")
