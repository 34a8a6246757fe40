"""user ids are not foreign keys

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_accounts_owner_id_users"), type_="foreignkey")

    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_contacts_owner_id_users"), type_="foreignkey")

    with op.batch_alter_table("deal_stage_changes", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_deal_stage_changes_changed_by_id_users"), type_="foreignkey"
        )

    with op.batch_alter_table("deals", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_deals_owner_id_users"), type_="foreignkey")

    with op.batch_alter_table("leads", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_leads_owner_id_users"), type_="foreignkey")

    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_tasks_assigned_to_id_users"), type_="foreignkey")


def downgrade() -> None:
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.create_foreign_key(
            batch_op.f("fk_tasks_assigned_to_id_users"), "users", ["assigned_to_id"], ["id"]
        )

    with op.batch_alter_table("leads", schema=None) as batch_op:
        batch_op.create_foreign_key(
            batch_op.f("fk_leads_owner_id_users"), "users", ["owner_id"], ["id"]
        )

    with op.batch_alter_table("deals", schema=None) as batch_op:
        batch_op.create_foreign_key(
            batch_op.f("fk_deals_owner_id_users"), "users", ["owner_id"], ["id"]
        )

    with op.batch_alter_table("deal_stage_changes", schema=None) as batch_op:
        batch_op.create_foreign_key(
            batch_op.f("fk_deal_stage_changes_changed_by_id_users"),
            "users",
            ["changed_by_id"],
            ["id"],
        )

    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.create_foreign_key(
            batch_op.f("fk_contacts_owner_id_users"), "users", ["owner_id"], ["id"]
        )

    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.create_foreign_key(
            batch_op.f("fk_accounts_owner_id_users"), "users", ["owner_id"], ["id"]
        )
