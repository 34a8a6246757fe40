"""lead routing

Users' specializations (short tags) and the routing of qualified leads: the rep a lead went
to, its qualification task and why, once per lead (crmgraph.domain.lead_routing).

Revision ID: 0021
Revises: 0020
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from crmgraph.db.migrations.columns import JSON, tenant_row

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "users",
        sa.Column("specializations", JSON, nullable=False, server_default=sa.text("'[]'")),
    )
    op.create_table(
        "lead_routings",
        sa.Column("lead_id", sa.Uuid(), nullable=False),
        sa.Column("rep_id", sa.Uuid(), nullable=True),
        sa.Column("task_id", sa.Uuid(), nullable=True),
        sa.Column("matched", JSON, nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.String(length=64), nullable=False),
        *tenant_row(),
        sa.ForeignKeyConstraint(
            ["lead_id"],
            ["leads.id"],
            name=op.f("fk_lead_routings_lead_id_leads"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["task_id"],
            ["tasks.id"],
            name=op.f("fk_lead_routings_task_id_tasks"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lead_routings")),
        sa.UniqueConstraint("lead_id", name=op.f("uq_lead_routings_lead_id")),
    )


def downgrade() -> None:
    op.drop_table("lead_routings")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("specializations")
