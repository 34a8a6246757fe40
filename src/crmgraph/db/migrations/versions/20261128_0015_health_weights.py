"""health weights

A tenant's own weights of the customer health components (crmgraph.domain.health).

Revision ID: 0015
Revises: 0011
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import crmgraph.db.types

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "health_weights",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("support", sa.Float(), nullable=False),
        sa.Column("financial", sa.Float(), nullable=False),
        sa.Column("delivery", sa.Float(), nullable=False),
        sa.Column("engagement", sa.Float(), nullable=False),
        sa.Column("updated_at", crmgraph.db.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", name=op.f("pk_health_weights")),
    )


def downgrade() -> None:
    op.drop_table("health_weights")
