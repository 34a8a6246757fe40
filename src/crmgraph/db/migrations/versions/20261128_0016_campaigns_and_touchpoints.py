"""campaigns and touchpoints

Marketing campaigns (name, type, budget, dates, status, the Zoho record mirrored) and the
touchpoints recorded on leads and contacts (utm parameters, referrer, landing page, channel,
time): what revenue attribution and customer journeys read.

Revision ID: 0016
Revises: 0012
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from crmgraph.db.migrations.columns import UTC, tenant_row

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "campaigns",
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("type", sa.String(length=64), nullable=True),
        sa.Column("budget", sa.Numeric(precision=18, scale=2), nullable=True),
        sa.Column("start_date", UTC(), nullable=True),
        sa.Column("end_date", UTC(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("zoho_id", sa.String(length=64), nullable=True),
        *tenant_row(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaigns")),
    )
    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_campaigns_tenant_id_created_at_id"),
            ["tenant_id", "created_at", "id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_campaigns_tenant_id_name"), ["tenant_id", "name"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_campaigns_tenant_id_zoho_id"), ["tenant_id", "zoho_id"], unique=True
        )
    op.create_table(
        "touchpoints",
        sa.Column("lead_id", sa.Uuid(), nullable=True),
        sa.Column("contact_id", sa.Uuid(), nullable=True),
        sa.Column("campaign_id", sa.Uuid(), nullable=True),
        sa.Column("utm_source", sa.String(length=200), nullable=True),
        sa.Column("utm_medium", sa.String(length=200), nullable=True),
        sa.Column("utm_campaign", sa.String(length=200), nullable=True),
        sa.Column("utm_content", sa.String(length=200), nullable=True),
        sa.Column("utm_term", sa.String(length=200), nullable=True),
        sa.Column("referrer", sa.Text(), nullable=True),
        sa.Column("landing_page", sa.Text(), nullable=True),
        sa.Column("channel", sa.String(length=64), nullable=True),
        sa.Column("occurred_at", UTC(), nullable=False),
        *tenant_row(),
        sa.ForeignKeyConstraint(
            ["lead_id"], ["leads.id"], name=op.f("fk_touchpoints_lead_id_leads"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["contact_id"], ["contacts.id"], name=op.f("fk_touchpoints_contact_id_contacts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaigns.id"], name=op.f("fk_touchpoints_campaign_id_campaigns"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_touchpoints")),
    )  # fmt: skip
    with op.batch_alter_table("touchpoints", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_touchpoints_tenant_id_occurred_at_id"),
            ["tenant_id", "occurred_at", "id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_touchpoints_lead_id_occurred_at"),
            ["lead_id", "occurred_at"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_touchpoints_contact_id_occurred_at"),
            ["contact_id", "occurred_at"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_touchpoints_campaign_id"), ["campaign_id"], unique=False
        )


def downgrade() -> None:
    op.drop_table("touchpoints")
    op.drop_table("campaigns")
