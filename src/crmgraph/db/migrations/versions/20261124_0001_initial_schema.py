"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-24
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from crmgraph.db.migrations.columns import JSON, UTC, tenant_row

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "communications",
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("direction", sa.String(length=16), nullable=False),
        sa.Column("subject", sa.String(length=500), nullable=True),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("occurred_at", UTC(), nullable=False),
        sa.Column("participant_ids", JSON, nullable=True),
        sa.Column("related_type", sa.String(length=16), nullable=True),
        sa.Column("related_id", sa.Uuid(), nullable=True),
        *tenant_row(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_communications")),
    )
    with op.batch_alter_table("communications", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_communications_related_type_related_id"),
            ["related_type", "related_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_communications_tenant_id_created_at_id"),
            ["tenant_id", "created_at", "id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_communications_tenant_id_occurred_at"),
            ["tenant_id", "occurred_at"],
            unique=False,
        )

    op.create_table(
        "events",
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("start_time", UTC(), nullable=False),
        sa.Column("end_time", UTC(), nullable=False),
        sa.Column("location", sa.String(length=300), nullable=True),
        sa.Column("attendee_ids", JSON, nullable=True),
        sa.Column("related_type", sa.String(length=16), nullable=True),
        sa.Column("related_id", sa.Uuid(), nullable=True),
        *tenant_row(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_events")),
    )
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_events_related_type_related_id"),
            ["related_type", "related_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_events_tenant_id_created_at_id"),
            ["tenant_id", "created_at", "id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_events_tenant_id_start_time"), ["tenant_id", "start_time"], unique=False
        )

    op.create_table(
        "outbox_events",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("topic", sa.String(length=64), nullable=False),
        sa.Column("aggregate_type", sa.String(length=32), nullable=False),
        sa.Column("aggregate_id", sa.Uuid(), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("payload", JSON, nullable=False),
        sa.Column("created_at", UTC(), nullable=False),
        sa.Column("published_at", UTC(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_events")),
        sa.UniqueConstraint(
            "aggregate_id", "sequence", name=op.f("uq_outbox_events_aggregate_id_sequence")
        ),
        sa.UniqueConstraint("event_id", name=op.f("uq_outbox_events_event_id")),
    )
    with op.batch_alter_table("outbox_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_outbox_events_published_at_id"), ["published_at", "id"], unique=False
        )

    op.create_table(
        "pipelines",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        *tenant_row(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pipelines")),
    )
    with op.batch_alter_table("pipelines", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_pipelines_tenant_id_created_at_id"),
            ["tenant_id", "created_at", "id"],
            unique=False,
        )

    op.create_table(
        "users",
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=64), nullable=False),
        sa.Column("team", sa.String(length=100), nullable=True),
        *tenant_row(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("tenant_id", "email", name=op.f("uq_users_tenant_id_email")),
    )
    op.create_table(
        "accounts",
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("website", sa.String(length=500), nullable=True),
        sa.Column("industry", sa.String(length=100), nullable=True),
        sa.Column("employees", sa.Integer(), nullable=True),
        sa.Column("annual_revenue", sa.Numeric(precision=18, scale=2), nullable=True),
        sa.Column("type", sa.String(length=32), nullable=False),
        sa.Column("address", JSON, nullable=True),
        sa.Column("custom_fields", JSON, nullable=True),
        sa.Column("parent_account_id", sa.Uuid(), nullable=True),
        sa.Column("owner_id", sa.Uuid(), nullable=True),
        *tenant_row(),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name=op.f("fk_accounts_owner_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["parent_account_id"],
            ["accounts.id"],
            name=op.f("fk_accounts_parent_account_id_accounts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accounts")),
    )
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_accounts_owner_id"), ["owner_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_accounts_parent_account_id"), ["parent_account_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_accounts_tenant_id_created_at_id"),
            ["tenant_id", "created_at", "id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_accounts_tenant_id_industry"), ["tenant_id", "industry"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_accounts_tenant_id_name"), ["tenant_id", "name"], unique=False
        )

    op.create_table(
        "leads",
        sa.Column("first_name", sa.String(length=100), nullable=False),
        sa.Column("last_name", sa.String(length=100), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("phone", sa.String(length=50), nullable=True),
        sa.Column("company", sa.String(length=300), nullable=True),
        sa.Column("job_title", sa.String(length=200), nullable=True),
        sa.Column("source", sa.String(length=100), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("custom_fields", JSON, nullable=True),
        sa.Column("qualification_notes", sa.Text(), nullable=True),
        sa.Column("owner_id", sa.Uuid(), nullable=True),
        sa.Column("converted_at", UTC(), nullable=True),
        *tenant_row(),
        sa.ForeignKeyConstraint(["owner_id"], ["users.id"], name=op.f("fk_leads_owner_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_leads")),
    )
    with op.batch_alter_table("leads", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_leads_owner_id"), ["owner_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_leads_tenant_id_created_at_id"),
            ["tenant_id", "created_at", "id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_leads_tenant_id_email"), ["tenant_id", "email"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_leads_tenant_id_status"), ["tenant_id", "status"], unique=False
        )

    op.create_table(
        "pipeline_stages",
        sa.Column("pipeline_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("probability", sa.Integer(), nullable=False),
        sa.Column("automation_rules", JSON, nullable=True),
        *tenant_row(),
        sa.ForeignKeyConstraint(
            ["pipeline_id"],
            ["pipelines.id"],
            name=op.f("fk_pipeline_stages_pipeline_id_pipelines"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pipeline_stages")),
        sa.UniqueConstraint(
            "pipeline_id", "position", name=op.f("uq_pipeline_stages_pipeline_id_position")
        ),
    )
    op.create_table(
        "tasks",
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("due_date", UTC(), nullable=True),
        sa.Column("priority", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("assigned_to_id", sa.Uuid(), nullable=True),
        sa.Column("due_notified_at", UTC(), nullable=True),
        sa.Column("related_type", sa.String(length=16), nullable=True),
        sa.Column("related_id", sa.Uuid(), nullable=True),
        *tenant_row(),
        sa.ForeignKeyConstraint(
            ["assigned_to_id"], ["users.id"], name=op.f("fk_tasks_assigned_to_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tasks")),
    )
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_tasks_assigned_to_id_due_date"),
            ["assigned_to_id", "due_date"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_tasks_related_type_related_id"),
            ["related_type", "related_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_tasks_tenant_id_created_at_id"),
            ["tenant_id", "created_at", "id"],
            unique=False,
        )

    op.create_table(
        "account_relationships",
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("related_account_id", sa.Uuid(), nullable=False),
        sa.Column("relationship_type", sa.String(length=64), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        *tenant_row(),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_account_relationships_account_id_accounts"),
        ),
        sa.ForeignKeyConstraint(
            ["related_account_id"],
            ["accounts.id"],
            name=op.f("fk_account_relationships_related_account_id_accounts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_relationships")),
    )
    with op.batch_alter_table("account_relationships", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_account_relationships_account_id"), ["account_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_account_relationships_related_account_id"),
            ["related_account_id"],
            unique=False,
        )

    op.create_table(
        "contacts",
        sa.Column("first_name", sa.String(length=100), nullable=False),
        sa.Column("last_name", sa.String(length=100), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("phone", sa.String(length=50), nullable=True),
        sa.Column("company", sa.String(length=300), nullable=True),
        sa.Column("job_title", sa.String(length=200), nullable=True),
        sa.Column("address", JSON, nullable=True),
        sa.Column("custom_fields", JSON, nullable=True),
        sa.Column("account_id", sa.Uuid(), nullable=True),
        sa.Column("owner_id", sa.Uuid(), nullable=True),
        sa.Column("lead_id", sa.Uuid(), nullable=True),
        *tenant_row(),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_contacts_account_id_accounts")
        ),
        sa.ForeignKeyConstraint(["lead_id"], ["leads.id"], name=op.f("fk_contacts_lead_id_leads")),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name=op.f("fk_contacts_owner_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contacts")),
    )
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_contacts_account_id"), ["account_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_contacts_lead_id"), ["lead_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_contacts_owner_id"), ["owner_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_contacts_tenant_id_created_at_id"),
            ["tenant_id", "created_at", "id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_contacts_tenant_id_email"), ["tenant_id", "email"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_contacts_tenant_id_last_name_first_name"),
            ["tenant_id", "last_name", "first_name"],
            unique=False,
        )

    op.create_table(
        "lead_score_history",
        sa.Column("lead_id", sa.Uuid(), nullable=False),
        sa.Column("previous_score", sa.Integer(), nullable=False),
        sa.Column("new_score", sa.Integer(), nullable=False),
        sa.Column("factors", JSON, nullable=True),
        *tenant_row(),
        sa.ForeignKeyConstraint(
            ["lead_id"],
            ["leads.id"],
            name=op.f("fk_lead_score_history_lead_id_leads"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lead_score_history")),
    )
    with op.batch_alter_table("lead_score_history", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_lead_score_history_lead_id_created_at"),
            ["lead_id", "created_at"],
            unique=False,
        )

    op.create_table(
        "deals",
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("value", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("pipeline_id", sa.Uuid(), nullable=False),
        sa.Column("stage_id", sa.Uuid(), nullable=False),
        sa.Column("probability", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("expected_close_date", UTC(), nullable=True),
        sa.Column("actual_close_date", UTC(), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("custom_fields", JSON, nullable=True),
        sa.Column("contact_id", sa.Uuid(), nullable=True),
        sa.Column("account_id", sa.Uuid(), nullable=True),
        sa.Column("owner_id", sa.Uuid(), nullable=True),
        sa.Column("stage_entered_at", UTC(), nullable=False),
        *tenant_row(),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_deals_account_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["contact_id"], ["contacts.id"], name=op.f("fk_deals_contact_id_contacts")
        ),
        sa.ForeignKeyConstraint(["owner_id"], ["users.id"], name=op.f("fk_deals_owner_id_users")),
        sa.ForeignKeyConstraint(
            ["pipeline_id"], ["pipelines.id"], name=op.f("fk_deals_pipeline_id_pipelines")
        ),
        sa.ForeignKeyConstraint(
            ["stage_id"], ["pipeline_stages.id"], name=op.f("fk_deals_stage_id_pipeline_stages")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deals")),
    )
    with op.batch_alter_table("deals", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_deals_account_id"), ["account_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_deals_contact_id"), ["contact_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_deals_owner_id"), ["owner_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_deals_pipeline_id_stage_id"), ["pipeline_id", "stage_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_deals_stage_id"), ["stage_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_deals_tenant_id_created_at_id"),
            ["tenant_id", "created_at", "id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_deals_tenant_id_expected_close_date"),
            ["tenant_id", "expected_close_date"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_deals_tenant_id_value"), ["tenant_id", "value"], unique=False
        )

    op.create_table(
        "deal_stage_changes",
        sa.Column("deal_id", sa.Uuid(), nullable=False),
        sa.Column("from_stage_id", sa.Uuid(), nullable=True),
        sa.Column("to_stage_id", sa.Uuid(), nullable=False),
        sa.Column("changed_by_id", sa.Uuid(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        *tenant_row(),
        sa.ForeignKeyConstraint(
            ["changed_by_id"], ["users.id"], name=op.f("fk_deal_stage_changes_changed_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["deal_id"],
            ["deals.id"],
            name=op.f("fk_deal_stage_changes_deal_id_deals"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["from_stage_id"],
            ["pipeline_stages.id"],
            name=op.f("fk_deal_stage_changes_from_stage_id_pipeline_stages"),
        ),
        sa.ForeignKeyConstraint(
            ["to_stage_id"],
            ["pipeline_stages.id"],
            name=op.f("fk_deal_stage_changes_to_stage_id_pipeline_stages"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deal_stage_changes")),
    )
    with op.batch_alter_table("deal_stage_changes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_deal_stage_changes_deal_id_created_at"),
            ["deal_id", "created_at"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("deal_stage_changes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_deal_stage_changes_deal_id_created_at"))

    op.drop_table("deal_stage_changes")
    with op.batch_alter_table("deals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_deals_tenant_id_value"))
        batch_op.drop_index(batch_op.f("ix_deals_tenant_id_expected_close_date"))
        batch_op.drop_index(batch_op.f("ix_deals_tenant_id_created_at_id"))
        batch_op.drop_index(batch_op.f("ix_deals_stage_id"))
        batch_op.drop_index(batch_op.f("ix_deals_pipeline_id_stage_id"))
        batch_op.drop_index(batch_op.f("ix_deals_owner_id"))
        batch_op.drop_index(batch_op.f("ix_deals_contact_id"))
        batch_op.drop_index(batch_op.f("ix_deals_account_id"))

    op.drop_table("deals")
    with op.batch_alter_table("lead_score_history", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lead_score_history_lead_id_created_at"))

    op.drop_table("lead_score_history")
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contacts_tenant_id_last_name_first_name"))
        batch_op.drop_index(batch_op.f("ix_contacts_tenant_id_email"))
        batch_op.drop_index(batch_op.f("ix_contacts_tenant_id_created_at_id"))
        batch_op.drop_index(batch_op.f("ix_contacts_owner_id"))
        batch_op.drop_index(batch_op.f("ix_contacts_lead_id"))
        batch_op.drop_index(batch_op.f("ix_contacts_account_id"))

    op.drop_table("contacts")
    with op.batch_alter_table("account_relationships", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_account_relationships_related_account_id"))
        batch_op.drop_index(batch_op.f("ix_account_relationships_account_id"))

    op.drop_table("account_relationships")
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tasks_tenant_id_created_at_id"))
        batch_op.drop_index(batch_op.f("ix_tasks_related_type_related_id"))
        batch_op.drop_index(batch_op.f("ix_tasks_assigned_to_id_due_date"))

    op.drop_table("tasks")
    op.drop_table("pipeline_stages")
    with op.batch_alter_table("leads", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_leads_tenant_id_status"))
        batch_op.drop_index(batch_op.f("ix_leads_tenant_id_email"))
        batch_op.drop_index(batch_op.f("ix_leads_tenant_id_created_at_id"))
        batch_op.drop_index(batch_op.f("ix_leads_owner_id"))

    op.drop_table("leads")
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_accounts_tenant_id_name"))
        batch_op.drop_index(batch_op.f("ix_accounts_tenant_id_industry"))
        batch_op.drop_index(batch_op.f("ix_accounts_tenant_id_created_at_id"))
        batch_op.drop_index(batch_op.f("ix_accounts_parent_account_id"))
        batch_op.drop_index(batch_op.f("ix_accounts_owner_id"))

    op.drop_table("accounts")
    op.drop_table("users")
    with op.batch_alter_table("pipelines", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pipelines_tenant_id_created_at_id"))

    op.drop_table("pipelines")
    with op.batch_alter_table("outbox_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbox_events_published_at_id"))

    op.drop_table("outbox_events")
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_events_tenant_id_start_time"))
        batch_op.drop_index(batch_op.f("ix_events_tenant_id_created_at_id"))
        batch_op.drop_index(batch_op.f("ix_events_related_type_related_id"))

    op.drop_table("events")
    with op.batch_alter_table("communications", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_communications_tenant_id_occurred_at"))
        batch_op.drop_index(batch_op.f("ix_communications_tenant_id_created_at_id"))
        batch_op.drop_index(batch_op.f("ix_communications_related_type_related_id"))

    op.drop_table("communications")
