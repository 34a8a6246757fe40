"""Run Alembic migrations programmatically (used by `crmgraph migrate` and the tests)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Connection

from crmgraph.config import Settings
from crmgraph.db.engine import create_engine

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(database_url: str | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    if database_url:
        cfg.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return cfg


async def upgrade(settings: Settings, revision: str = "head") -> None:
    """Migrate the database of settings to revision, on the caller's event loop."""
    await _migrate(settings, command.upgrade, revision)


async def downgrade(settings: Settings, revision: str) -> None:
    """Migrate the database of settings back to revision."""
    await _migrate(settings, command.downgrade, revision)


async def _migrate(settings: Settings, step: Callable[[Config, str], None], revision: str) -> None:
    engine = create_engine(settings)

    def run(connection: Connection) -> None:
        cfg = alembic_config()
        cfg.attributes["connection"] = connection
        step(cfg, revision)

    try:
        async with engine.begin() as conn:
            await conn.run_sync(run)
    finally:
        await engine.dispose()


def upgrade_sync(settings: Settings, revision: str = "head") -> None:
    asyncio.run(upgrade(settings, revision))
