"""zoho desk webhook ids

The Zoho Desk webhook ids an organisation accepts: a Desk delivery's X-ZDesk-JWT names its
webhook in `aud` ("webhookId:<id>"), and one whose id is not registered is refused
(crmgraph.zoho.formats.desk). Organisations registered before have none until they add them.

Revision ID: 0013
Revises: 0011
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from crmgraph.db.migrations.columns import JSON

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "zoho_orgs",
        sa.Column("desk_webhook_ids", JSON, nullable=False, server_default=sa.text("'[]'")),
    )


def downgrade() -> None:
    op.drop_column("zoho_orgs", "desk_webhook_ids")
