"""Fixtures of the integration tests that run on both databases."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from crmgraph.config import Settings
from crmgraph.db.engine import create_engine, create_session_factory
from crmgraph.db.migrate import upgrade


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
