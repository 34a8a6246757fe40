"""zoho oauth

An organisation's OAuth client and refresh token, and its Zoho accounts server: Zoho CRM
notification callbacks carry record ids only, so the zoho-mapper fetches the records from
Zoho's REST API with an access token made from these (crmgraph.zoho.crm_api).

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = ("oauth_client_id", "oauth_client_secret", "oauth_refresh_token", "accounts_url")


def upgrade() -> None:
    for name in COLUMNS:
        op.add_column("zoho_orgs", sa.Column(name, sa.Text(), nullable=True))


def downgrade() -> None:
    for name in reversed(COLUMNS):
        op.drop_column("zoho_orgs", name)
