"""deal stays

The completed stays of deals in stages, stored (crmgraph.db.stage_stays) and kept by triggers
(crmgraph.db.stay_triggers) in the transaction of each statement that writes a stage change,
so the reports read each stay from an index instead of windowing every recorded change on
every request (bench/README.md "Sales reports"). Backfilled from the recorded changes by the
same statements the triggers run, before the indexes and triggers are made.

Revision ID: 0024
Revises: 0022
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from crmgraph.db import stay_triggers
from crmgraph.db.migrations.columns import UTC

revision: str = "0024"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STAYS_STATS = "deal_stays_tenant_id_stage_id_dependencies"
DEALS_STATS = "deals_tenant_id_pipeline_id_stage_id_dependencies"


def upgrade() -> None:
    op.create_table(
        "deal_stays",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("deal_id", sa.Uuid(), nullable=False),
        sa.Column("stage_id", sa.Uuid(), nullable=False),
        sa.Column("entered_at", UTC(), nullable=False),
        sa.Column("left_at", UTC(), nullable=False),
        sa.Column("later_position", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["deal_id"], ["deals.id"], name=op.f("fk_deal_stays_deal_id_deals"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deal_stays")),
    )
    for statement in stay_triggers.backfill_statements():
        op.execute(statement)
    op.create_index(op.f("ix_deal_stays_deal_id"), "deal_stays", ["deal_id"])
    op.create_index(
        "ix_deal_stays_tenant_id_stage_id_deal_id_reports",
        "deal_stays",
        ["tenant_id", "stage_id", "deal_id"],
        postgresql_include=["entered_at", "left_at", "later_position"],
    )
    op.create_index(
        "ix_deal_stays_tenant_id_entered_at_reports",
        "deal_stays",
        ["tenant_id", "entered_at"],
        postgresql_include=["deal_id", "stage_id", "left_at", "later_position"],
    )
    dialect = op.get_bind().dialect.name
    for statement in stay_triggers.create_statements(dialect):
        op.execute(statement)
    if dialect == "postgresql":
        # Stages and pipelines belong to one tenant: without these the planner multiplies the
        # selectivities of tenant and stage (or pipeline) and expects a tenth of the rows,
        # then sorts and looks deals up one by one where a hash would do.
        op.execute(f"CREATE STATISTICS {STAYS_STATS} (dependencies) "
                   "ON tenant_id, stage_id FROM deal_stays")  # fmt: skip
        op.execute(f"CREATE STATISTICS {DEALS_STATS} (dependencies) "
                   "ON tenant_id, pipeline_id, stage_id FROM deals")  # fmt: skip
        op.execute("ANALYZE deal_stays")
        op.execute("ANALYZE deals")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP STATISTICS IF EXISTS {DEALS_STATS}")
    for statement in stay_triggers.drop_statements(op.get_bind().dialect.name):
        op.execute(statement)
    op.drop_table("deal_stays")
