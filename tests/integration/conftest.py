"""Fixtures of the integration tests: an empty database of each kind, and write sessions on
both databases."""

from __future__ import annotations

import asyncio
import secrets
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from crmgraph.config import Settings
from crmgraph.db.engine import create_engine, create_session_factory
from crmgraph.db.migrate import upgrade
from tests.conftest import admin
from tests.integration.consumers.support import PrivateRedis


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(
    request: pytest.FixtureRequest, pg_settings: Settings, tmp_path: Path
) -> Iterator[Settings]:
    if request.param == "sqlite":
        yield Settings(database_url=f"sqlite+aiosqlite:///{tmp_path}/m.db")
        return
    name = f"crmgraph_migration_{uuid.uuid4().hex[:10]}"
    url = make_url(pg_settings.database_url)
    asyncio.run(admin(pg_settings, f'CREATE DATABASE "{name}"'))
    yield pg_settings.model_copy(
        update={"database_url": url.set(database=name).render_as_string(hide_password=False)}
    )
    asyncio.run(admin(pg_settings, f'DROP DATABASE "{name}" WITH (FORCE)'))


@pytest.fixture(params=["postgresql", "sqlite"])
async def sessions(
    request: pytest.FixtureRequest, pg_settings: Settings, tmp_path: Path
) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """Write sessions on PostgreSQL (the per-run test database; each test has its own tenant)
    and on SQLite (a fresh migrated file)."""
    settings = pg_settings
    if request.param == "sqlite":
        settings = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path}/crmgraph.db")
        await upgrade(settings)
    engine = create_engine(settings)
    yield create_session_factory(engine)
    await engine.dispose()


@pytest.fixture
def subgraph_settings(pg_settings: Settings) -> Settings:
    """pg_settings for a subgraph app run inside the test: a router secret of its own (the
    requests send it as the router does), no Neo4j, no outbox consumers."""
    return pg_settings.model_copy(
        update={"router_secret": secrets.token_urlsafe(32), "neo4j_uri": None,
                "consumers_in_process": False}
    )  # fmt: skip


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    """A redis-server of the test's own, to stop for real (the shared one serves others)."""
    redis = PrivateRedis(tmp_path)
    redis.start()
    yield redis
    redis.stop()
