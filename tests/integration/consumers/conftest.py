"""Fixtures of the outbox consumer tests: a database of their own per module, and the bus."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from broadcaster import Broadcast
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from crmgraph.config import Settings
from crmgraph.db.engine import create_engine, create_session_factory
from crmgraph.db.migrate import upgrade
from crmgraph.events import bus
from tests.conftest import admin
from tests.integration.consumers.support import RECEIVER_SECRET, PrivateRedis
from tests.webhook_receiver import Receiver


@pytest.fixture(scope="module")
def outbox_settings(pg_settings: Settings) -> Iterator[Settings]:
    """A database of its own: the stack's consumers (same session) must not take our rows."""
    name = f"crmgraph_consumers_{uuid.uuid4().hex[:10]}"
    asyncio.run(admin(pg_settings, f'CREATE DATABASE "{name}"'))
    url = make_url(pg_settings.database_url).set(database=name)
    settings = pg_settings.model_copy(
        update={"database_url": url.render_as_string(hide_password=False)}
    )
    asyncio.run(upgrade(settings))
    yield settings
    asyncio.run(admin(pg_settings, f'DROP DATABASE "{name}" WITH (FORCE)'))


@pytest.fixture
async def sessions(outbox_settings: Settings) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """Sessions on the module's database, whose deliveries earlier tests left behind are
    dropped first: a runner or worker a test starts works on that test's rows alone (rows left
    pending made ordered publishing and lock waits depend on the order tests ran in)."""
    engine = create_engine(outbox_settings)
    async with engine.begin() as connection:
        await connection.execute(text("DELETE FROM outbox_deliveries"))
    yield create_session_factory(engine)
    await engine.dispose()


@pytest.fixture
async def broadcast(outbox_settings: Settings) -> AsyncIterator[Broadcast]:
    running = bus.create_broadcast(outbox_settings.redis_url)
    await running.connect()
    yield running
    await running.disconnect()


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    redis = PrivateRedis(tmp_path)
    redis.start()
    yield redis
    redis.stop()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A webhook receiver (a real HTTP server) checking RECEIVER_SECRET's signatures."""
    running = Receiver(RECEIVER_SECRET)
    running.start()
    yield running
    running.stop()
