"""Unit tests need no service: the services' variables are unset around each of them, so one
that reaches for PostgreSQL, Redis or Neo4j fails under `make test` as it would alone.

`session` is a session on a SQLite file (the embedded mode's database): the domain functions'
rules run as the API runs them. Each test's writes are rolled back (domain functions flush,
the API's request commits), so tests share one schema."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from crmgraph.config import Settings
from crmgraph.db.engine import create_engine
from crmgraph.db.models import Base

SERVICE_VARIABLES = ("DATABASE_URL", "TEST_DATABASE_URL", "REDIS_URL", "NEO4J_URI",
                     "NEO4J_USER", "NEO4J_PASSWORD")  # fmt: skip
SAVED = pytest.StashKey[dict[str, str]]()


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Before any fixture of a unit test, session-wide ones (the stack) included."""
    saved = {name: os.environ.pop(name) for name in SERVICE_VARIABLES if name in os.environ}
    item.stash[SAVED] = saved


@pytest.hookimpl(trylast=True)
def pytest_runtest_teardown(item: pytest.Item) -> None:
    os.environ.update(item.stash.get(SAVED, {}))


@pytest.fixture(scope="session")
async def sqlite_engine(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[AsyncEngine]:
    path = tmp_path_factory.mktemp("domain") / "unit.db"
    engine = create_engine(Settings(database_url=f"sqlite+aiosqlite:///{path}"))
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
    yield engine
    await engine.dispose()


@pytest.fixture
async def session(sqlite_engine: AsyncEngine) -> AsyncIterator[AsyncSession]:
    async with async_sessionmaker(sqlite_engine, expire_on_commit=False)() as session:
        try:
            yield session
        finally:
            await session.rollback()
