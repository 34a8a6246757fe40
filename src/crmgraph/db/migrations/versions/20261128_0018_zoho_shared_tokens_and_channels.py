"""zoho shared tokens and channels

zoho_access_tokens: the access token each organisation's OAuth client last made, sealed,
with its expiry, shared by every process so that N workers make one token call, not N
(crmgraph.zoho.access_tokens).

Revision ID: 0018
Revises: 0016
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import crmgraph.db.types

revision: str = "0018"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = crmgraph.db.types.UTCDateTime


def _tenant_columns() -> list[sa.Column[object]]:
    return [
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("created_at", UTC(), nullable=False),
        sa.Column("updated_at", UTC(), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "zoho_access_tokens",
        *_tenant_columns(),
        sa.Column("org_id", sa.String(length=64), nullable=False),
        sa.Column("client_hash", sa.String(length=64), nullable=False),
        sa.Column("access_token", sa.Text(), nullable=False),
        sa.Column("api_domain", sa.Text(), nullable=False),
        sa.Column("expires_at", UTC(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_zoho_access_tokens")),
        sa.UniqueConstraint("org_id", name=op.f("uq_zoho_access_tokens_org_id")),
    )


def downgrade() -> None:
    op.drop_table("zoho_access_tokens")
