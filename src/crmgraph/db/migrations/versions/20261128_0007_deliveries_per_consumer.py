"""deliveries per consumer

The outbox had one consumer, the relay to Redis, and one `published_at` column. Each event
now gets a row in outbox_deliveries per consumer, written in the writer's transaction and
deleted once that consumer has handled it (crmgraph.events.consumers), so consumers move on
independently. Events not yet published become pending deliveries of the Redis publisher;
`published_at` goes. A downgrade marks published every event the Redis publisher has no row
for (a dead letter stays unpublished).

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import crmgraph.db.types

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The name crmgraph.events.consumers.redis_publisher registers; fixed here as it was today.
REDIS_PUBLISHER = "redis-publisher"
OUTBOX_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "outbox_deliveries",
        sa.Column("consumer", sa.String(length=64), nullable=False),
        sa.Column("outbox_id", OUTBOX_ID, nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", crmgraph.db.types.UTCDateTime(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", crmgraph.db.types.UTCDateTime(), nullable=False),
        sa.Column("updated_at", crmgraph.db.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["outbox_id"],
            ["outbox_events.id"],
            name=op.f("fk_outbox_deliveries_outbox_id_outbox_events"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("consumer", "outbox_id", name=op.f("pk_outbox_deliveries")),
    )
    with op.batch_alter_table("outbox_deliveries", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_outbox_deliveries_outbox_id"), ["outbox_id"], unique=False
        )
    op.execute(
        sa.text(
            "INSERT INTO outbox_deliveries (consumer, outbox_id, state, attempts, "
            "next_attempt_at, created_at, updated_at) "
            "SELECT :consumer, id, 'pending', 0, created_at, created_at, created_at "
            "FROM outbox_events WHERE published_at IS NULL"
        ).bindparams(consumer=REDIS_PUBLISHER)
    )
    # Not batch mode: on SQLite it copies outbox_events and drops the original, and with
    # foreign keys on, that drop would cascade to the deliveries just written. SQLite 3.35+
    # drops a column in place.
    op.drop_index(op.f("ix_outbox_events_published_at_id"), table_name="outbox_events")
    op.drop_column("outbox_events", "published_at")


def downgrade() -> None:
    with op.batch_alter_table("outbox_events", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("published_at", crmgraph.db.types.UTCDateTime(), nullable=True)
        )
        batch_op.create_index(
            batch_op.f("ix_outbox_events_published_at_id"), ["published_at", "id"], unique=False
        )
    op.execute(
        sa.text(
            "UPDATE outbox_events SET published_at = created_at WHERE id NOT IN "
            "(SELECT outbox_id FROM outbox_deliveries WHERE consumer = :consumer)"
        ).bindparams(consumer=REDIS_PUBLISHER)
    )
    op.drop_table("outbox_deliveries")
