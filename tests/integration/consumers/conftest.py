"""Fixtures of the outbox consumer tests: a database of their own per module, and the bus."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
from broadcaster import Broadcast
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from crmgraph.config import Settings
from crmgraph.db.engine import create_engine, create_session_factory
from crmgraph.events import bus
from tests.integration.consumers.support import RECEIVER_SECRET
from tests.webhook_receiver import Receiver


@pytest.fixture(scope="module")
def outbox_settings(own_pg_settings: Settings) -> Settings:
    """A database of its own: the stack's consumers (same session) must not take our rows."""
    return own_pg_settings


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
def receiver() -> Iterator[Receiver]:
    """A webhook receiver (a real HTTP server) checking RECEIVER_SECRET's signatures."""
    running = Receiver(RECEIVER_SECRET)
    running.start()
    yield running
    running.stop()
