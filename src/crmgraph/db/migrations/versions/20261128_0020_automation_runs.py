"""automation runs

The runs of stage automation rules, unique per triggering event and rule (the idempotency
key that makes a rule run once per event); and an id for every stored rule, which runs name.

Revision ID: 0020
Revises: 0019
Create Date: 2026-11-28
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from crmgraph.db.migrations.columns import JSON, tenant_row

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STAGES = sa.table(
    "pipeline_stages",
    sa.column("id", sa.Uuid()),
    sa.column("automation_rules", JSON),
)


def upgrade() -> None:
    op.create_table(
        "automation_runs",
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("rule_id", sa.Uuid(), nullable=False),
        sa.Column("trigger", sa.String(length=64), nullable=False),
        sa.Column("pipeline_id", sa.Uuid(), nullable=False),
        sa.Column("stage_id", sa.Uuid(), nullable=False),
        sa.Column("deal_id", sa.Uuid(), nullable=False),
        sa.Column("outcome", sa.String(length=32), nullable=False),
        sa.Column("actions", JSON, nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        *tenant_row(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_automation_runs")),
        sa.UniqueConstraint(
            "event_id", "rule_id", name=op.f("uq_automation_runs_event_id_rule_id")
        ),
    )
    for column in ("stage_id", "deal_id", "pipeline_id"):
        op.create_index(
            op.f(f"ix_automation_runs_tenant_id_{column}_created_at_id"),
            "automation_runs",
            ["tenant_id", column, "created_at", "id"],
        )
    # Rules stored before rules had ids get one now.
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(STAGES.c.id, STAGES.c.automation_rules).where(
            STAGES.c.automation_rules.is_not(None)
        )
    ).all()
    for stage_id, rules in rows:
        if not isinstance(rules, list):
            continue
        named = [
            {**rule, "id": str(uuid.uuid4())} if isinstance(rule, dict) and "id" not in rule
            else rule
            for rule in rules
        ]  # fmt: skip
        if named != rules:
            bind.execute(
                sa.update(STAGES).where(STAGES.c.id == stage_id).values(automation_rules=named)
            )


def downgrade() -> None:
    for column in ("stage_id", "deal_id", "pipeline_id"):
        op.drop_index(
            op.f(f"ix_automation_runs_tenant_id_{column}_created_at_id"),
            table_name="automation_runs",
        )
    op.drop_table("automation_runs")
