"""Migration 0006 gives existing calendar events an owner: the actor of their creation."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import insert, select

from crmgraph.config import Settings
from crmgraph.db import models
from crmgraph.db.engine import create_engine
from crmgraph.db.migrate import upgrade

EVENTS, OUTBOX = models.Event.__table__, models.OutboxEvent.__table__


async def test_existing_events_get_the_actor_of_their_creation(empty_database: Settings) -> None:
    await upgrade(empty_database, "0005")
    created, orphan, actor = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    now = datetime.now(UTC)
    engine = create_engine(empty_database)
    try:
        async with engine.begin() as conn:
            for id_ in (created, orphan):
                await conn.execute(insert(EVENTS).values(
                    id=id_, tenant_id="t", title="Demo", start_time=now, end_time=now
                ))  # fmt: skip
            await conn.execute(insert(OUTBOX).values(
                tenant_id="t", topic="activity.created", aggregate_type="activity",
                aggregate_id=created, sequence=1, payload={"data": {}, "actor_id": str(actor)},
            ))  # fmt: skip
        await upgrade(empty_database)
        async with engine.connect() as conn:
            owners = dict((await conn.execute(select(EVENTS.c.id, EVENTS.c.owner_id))).all())
    finally:
        await engine.dispose()

    assert owners == {created: actor, orphan: None}
