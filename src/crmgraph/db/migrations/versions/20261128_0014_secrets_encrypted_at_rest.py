"""secrets encrypted at rest

Webhook secrets become Fernet tokens (crmgraph.db.sealed), longer than the 200 characters
their column held. Rows written before stay plaintext until `crmgraph secrets reencrypt`
seals them (the read path accepts both), so this migration needs no key.

Revision ID: 0014
Revises: 0011
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("webhook_subscriptions") as batch:
        batch.alter_column("secret", type_=sa.Text(), existing_type=sa.String(200))


def downgrade() -> None:
    with op.batch_alter_table("webhook_subscriptions") as batch:
        batch.alter_column("secret", type_=sa.String(200), existing_type=sa.Text())
