"""lead conversion links and task completion

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import crmgraph.db.types

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("leads", schema=None) as batch_op:
        batch_op.add_column(sa.Column("next_action", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("converted_contact_id", sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column("converted_account_id", sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column("converted_deal_id", sa.Uuid(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_leads_converted_contact_id_contacts"),
            "contacts",
            ["converted_contact_id"],
            ["id"],
            use_alter=True,
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_leads_converted_account_id_accounts"),
            "accounts",
            ["converted_account_id"],
            ["id"],
            use_alter=True,
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_leads_converted_deal_id_deals"),
            "deals",
            ["converted_deal_id"],
            ["id"],
            use_alter=True,
        )

    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("completed_at", crmgraph.db.types.UTCDateTime(), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.drop_column("completed_at")

    with op.batch_alter_table("leads", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_leads_converted_deal_id_deals"), type_="foreignkey")
        batch_op.drop_constraint(
            batch_op.f("fk_leads_converted_account_id_accounts"), type_="foreignkey"
        )
        batch_op.drop_constraint(
            batch_op.f("fk_leads_converted_contact_id_contacts"), type_="foreignkey"
        )
        batch_op.drop_column("converted_deal_id")
        batch_op.drop_column("converted_account_id")
        batch_op.drop_column("converted_contact_id")
        batch_op.drop_column("next_action")
