"""zoho desk jwks

Where an organisation's Zoho Desk webhook keys are (a JWKS URL or file): Desk signs its
deliveries with an RS256 token (crmgraph.zoho.formats.desk).

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("zoho_orgs", sa.Column("desk_jwks", sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column("zoho_orgs", "desk_jwks")
