"""lead scoring

A tenant's lead scoring rules, the manual adjustments of leads' scores (kept) and the
explanation written with each computed score (crmgraph.domain.scoring).

Revision ID: 0019
Revises: 0018
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from crmgraph.db.migrations.columns import JSON, UTC, tenant_row

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "lead_scoring_rules",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("rules", JSON, nullable=False),
        sa.Column("updated_at", UTC(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", name=op.f("pk_lead_scoring_rules")),
    )
    op.create_table(
        "lead_score_adjustments",
        sa.Column("lead_id", sa.Uuid(), nullable=False),
        sa.Column("factor", sa.String(length=64), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        *tenant_row(),
        sa.ForeignKeyConstraint(
            ["lead_id"],
            ["leads.id"],
            name=op.f("fk_lead_score_adjustments_lead_id_leads"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lead_score_adjustments")),
    )
    with op.batch_alter_table("lead_score_adjustments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_lead_score_adjustments_lead_id_created_at"),
            ["lead_id", "created_at"],
            unique=False,
        )
    op.create_table(
        "lead_score_explanations",
        sa.Column("lead_id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("explanation", JSON, nullable=False),
        sa.Column("computed_at", UTC(), nullable=False),
        sa.ForeignKeyConstraint(
            ["lead_id"],
            ["leads.id"],
            name=op.f("fk_lead_score_explanations_lead_id_leads"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("lead_id", name=op.f("pk_lead_score_explanations")),
    )


def downgrade() -> None:
    op.drop_table("lead_score_explanations")
    op.drop_table("lead_score_adjustments")
    op.drop_table("lead_scoring_rules")
