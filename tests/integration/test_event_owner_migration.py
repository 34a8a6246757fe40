"""Migration 0006 gives existing calendar events an owner: the actor of their creation."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import insert, select
from sqlalchemy.engine import make_url

from crmgraph.config import Settings
from crmgraph.db import models
from crmgraph.db.engine import create_engine
from crmgraph.db.migrate import upgrade
from tests.conftest import admin

EVENTS, OUTBOX = models.Event.__table__, models.OutboxEvent.__table__


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(
    request: pytest.FixtureRequest, pg_settings: Settings, tmp_path: Path
) -> Iterator[Settings]:
    if request.param == "sqlite":
        yield Settings(database_url=f"sqlite+aiosqlite:///{tmp_path}/m.db")
        return
    name = f"crmgraph_m6_{uuid.uuid4().hex[:10]}"
    url = make_url(pg_settings.database_url)
    asyncio.run(admin(pg_settings, f'CREATE DATABASE "{name}"'))
    yield pg_settings.model_copy(
        update={"database_url": url.set(database=name).render_as_string(hide_password=False)}
    )
    asyncio.run(admin(pg_settings, f'DROP DATABASE "{name}" WITH (FORCE)'))


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
