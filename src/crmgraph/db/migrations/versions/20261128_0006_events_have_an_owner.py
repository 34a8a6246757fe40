"""events have an owner

A calendar event belongs to the user who created it, as a deal, contact or lead does, so a
permission at the `own` level (a sales rep's `activities:*:own`) can be checked on it.
Existing events get the actor of their activity.created outbox event; those without one
stay without an owner (only tenant-wide permissions may change them).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("owner_id", sa.Uuid(), nullable=True))
    # In Python, not SQL: JSON access and uuid storage differ between PostgreSQL and SQLite.
    outbox = sa.table(
        "outbox_events",
        sa.column("aggregate_id", sa.Uuid()),
        sa.column("topic", sa.String()),
        sa.column("payload", sa.JSON().with_variant(JSONB(), "postgresql")),
    )
    events = sa.table("events", sa.column("id", sa.Uuid()), sa.column("owner_id", sa.Uuid()))
    bind = op.get_bind()
    created = bind.execute(
        sa.select(outbox.c.aggregate_id, outbox.c.payload).where(
            outbox.c.topic == "activity.created"
        )
    )
    for aggregate_id, payload in created:
        actor = (payload or {}).get("actor_id")
        if actor:
            bind.execute(
                events.update()
                .where(events.c.id == aggregate_id, events.c.owner_id.is_(None))
                .values(owner_id=uuid.UUID(str(actor)))
            )


def downgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_column("owner_id")
