"""report indexes

Indexes the sales reports' plans need (issue 15 benchmark, bench/README.md "Sales
reports"): a pipeline's deals with the columns the reports read, in id order (index-only
scans, merge joins with the stage history); each deal's stage changes in order with their
stages (the stays' window functions without a sort); the tenant's changes by time (a
trailing window).

Revision ID: 0022
Revises: 0021
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

REPORT_COLUMNS = ["status", "value", "probability", "expected_close_date", "actual_close_date",
                  "created_at", "stage_id", "stage_entered_at", "owner_id"]  # fmt: skip


def upgrade() -> None:
    op.create_index(
        "ix_deals_tenant_id_pipeline_id_id_reports",
        "deals",
        ["tenant_id", "pipeline_id", "id"],
        postgresql_include=REPORT_COLUMNS,
    )
    op.create_index(
        "ix_deal_stage_changes_tenant_id_deal_id_created_at_id",
        "deal_stage_changes",
        ["tenant_id", "deal_id", "created_at", "id"],
        postgresql_include=["from_stage_id", "to_stage_id"],
    )
    op.create_index(
        op.f("ix_deal_stage_changes_tenant_id_created_at"),
        "deal_stage_changes",
        ["tenant_id", "created_at"],
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_deal_stage_changes_tenant_id_created_at"), "deal_stage_changes")
    op.drop_index("ix_deal_stage_changes_tenant_id_deal_id_created_at_id", "deal_stage_changes")
    op.drop_index("ix_deals_tenant_id_pipeline_id_id_reports", "deals")
