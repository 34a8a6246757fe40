"""Migration 0007 turns the outbox's one `published_at` into deliveries per consumer: events
not yet published become pending deliveries of the Redis publisher; a downgrade goes back."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import sqlalchemy as sa

from crmgraph.config import Settings
from crmgraph.db.engine import create_engine
from crmgraph.db.migrate import downgrade, upgrade
from crmgraph.db.types import UTCDateTime
from crmgraph.events.consumers.redis_publisher import RedisPublisher

OUTBOX = sa.table(
    "outbox_events",
    sa.column("id", sa.Integer()),
    sa.column("tenant_id", sa.String()),
    sa.column("topic", sa.String()),
    sa.column("aggregate_type", sa.String()),
    sa.column("aggregate_id", sa.Uuid()),
    sa.column("sequence", sa.Integer()),
    sa.column("payload", sa.JSON()),
    sa.column("event_id", sa.Uuid()),
    sa.column("created_at", UTCDateTime()),
    sa.column("published_at", UTCDateTime()),
)


async def test_unpublished_events_become_pending_deliveries_and_back(
    empty_database: Settings,
) -> None:
    await upgrade(empty_database, "0006")
    now = datetime.now(UTC)
    engine = create_engine(empty_database)
    try:
        async with engine.begin() as conn:
            for sequence, published in ((1, now), (2, None)):
                await conn.execute(sa.insert(OUTBOX).values(
                    tenant_id="t", topic="deal.updated", aggregate_type="deal",
                    aggregate_id=uuid.UUID(int=1), sequence=sequence, payload={},
                    event_id=uuid.uuid4(), created_at=now, published_at=published,
                ))  # fmt: skip
            ids = dict((await conn.execute(sa.select(OUTBOX.c.sequence, OUTBOX.c.id))).all())
        await upgrade(empty_database)
        async with engine.connect() as conn:
            rows = (await conn.execute(sa.text(
                "SELECT consumer, outbox_id, state, attempts FROM outbox_deliveries"
            ))).all()  # fmt: skip
            columns = await conn.run_sync(
                lambda sync: {c["name"] for c in sa.inspect(sync).get_columns("outbox_events")}
            )
        await downgrade(empty_database, "0006")
        async with engine.connect() as conn:
            published = dict(
                (await conn.execute(sa.select(OUTBOX.c.sequence, OUTBOX.c.published_at))).all()
            )
    finally:
        await engine.dispose()

    assert [tuple(row) for row in rows] == [(RedisPublisher.name, ids[2], "pending", 0)]
    assert "published_at" not in columns
    assert published[1] is not None and published[2] is None
