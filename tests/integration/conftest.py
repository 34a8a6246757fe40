"""Fixtures of the integration tests."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from crmgraph.config import Settings
from tests.conftest import admin


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
