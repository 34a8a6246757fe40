"""Migrations build exactly the models' schema, on PostgreSQL and on SQLite."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.engine import Connection

from crmgraph.config import Settings
from crmgraph.db.engine import create_engine
from crmgraph.db.migrate import upgrade
from crmgraph.db.models import Base


def diff(connection: Connection) -> list[object]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


async def differences(settings: Settings) -> list[object]:
    engine = create_engine(settings)
    try:
        async with engine.connect() as conn:
            return await conn.run_sync(diff)
    finally:
        await engine.dispose()


async def test_postgres_schema_matches_models(pg_settings: Settings) -> None:
    assert await differences(pg_settings) == []


async def test_sqlite_schema_matches_models(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path}/m.db")
    await upgrade(settings)

    assert await differences(settings) == []
