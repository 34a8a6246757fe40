"""A session on a SQLite file (the embedded mode's database): the domain functions' rules run
as the API runs them, without PostgreSQL, Redis or Neo4j. Each test's writes are rolled back
(domain functions flush, the API's request commits), so tests share one schema."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from crmgraph.config import Settings
from crmgraph.db.engine import create_engine
from crmgraph.db.models import Base


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
