"""Fixtures: real services from `make services` (see scripts/services.sh env)."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from crmgraph.config import DEV_JWT_SECRET, Settings
from crmgraph.db.migrate import upgrade
from crmgraph.secrets_at_rest import new_key
from tests.identity_provider import ISSUER, IdentityProvider
from tests.ports import free_port
from tests.stack import Stack

REQUIRED = ("TEST_DATABASE_URL", "REDIS_URL", "NEO4J_URI", "NEO4J_PASSWORD")
# Stored secrets' key for this session (Settings and the CLI processes tests start read it).
os.environ.setdefault("CRMGRAPH_SECRETS_KEY", new_key())


def service_settings() -> Settings:
    """Settings for the real services; fails (never skips) when make services was not run."""
    missing = [name for name in REQUIRED if not os.environ.get(name)]
    if missing:
        pytest.fail(
            f"{', '.join(missing)} not set: run the suite with `make test`, which starts the "
            "services and exports their URLs (scripts/services.sh env)"
        )
    return Settings(
        database_url=os.environ["TEST_DATABASE_URL"],
        redis_url=os.environ["REDIS_URL"],
        neo4j_uri=os.environ["NEO4J_URI"],
        neo4j_user=os.environ.get("NEO4J_USER", "neo4j"),
        neo4j_password=os.environ["NEO4J_PASSWORD"],
        anonymous_tenant=None,
        jwt_secret=DEV_JWT_SECRET,
        rate_limits_enabled=False,  # see Stack._start_router; test_rate_limits enables them
        # Webhook tests run their receivers on loopback; test_webhooks_out proves the refusal.
        webhook_allow_private_targets=True,
    )


async def admin(settings: Settings, statement: str) -> None:
    engine = create_async_engine(settings.database_url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            await conn.execute(text(statement))
    finally:
        await engine.dispose()


@pytest.fixture(scope="session")
def identity_provider() -> Iterator[IdentityProvider]:
    """The customer's identity provider: its JWKS is what the stack trusts for RS256."""
    idp = IdentityProvider(port=free_port())
    idp.start()
    yield idp
    idp.stop()


@pytest.fixture(scope="session")
def pg_settings(identity_provider: IdentityProvider) -> Iterator[Settings]:
    """A new database for this run, built by every migration (so they are tested too)."""
    base = service_settings().model_copy(
        update={"jwt_jwks_url": identity_provider.url, "jwt_issuer": f"crmgraph-test,{ISSUER}"}
    )
    name = f"crmgraph_test_{uuid.uuid4().hex[:10]}"
    asyncio.run(admin(base, f'CREATE DATABASE "{name}"'))
    url = make_url(base.database_url).set(database=name)
    settings = base.model_copy(update={"database_url": url.render_as_string(hide_password=False)})
    asyncio.run(upgrade(settings))
    yield settings
    asyncio.run(admin(base, f'DROP DATABASE "{name}" WITH (FORCE)'))


@pytest.fixture(scope="module")
def own_pg_settings(pg_settings: Settings) -> Iterator[Settings]:
    """A migrated PostgreSQL database of the module's own: a test that runs consumers (or
    their background work) of its own must not share rows with the stack's, which run in
    the same session on pg_settings' database and would take them."""
    name = f"crmgraph_own_{uuid.uuid4().hex[:10]}"
    asyncio.run(admin(pg_settings, f'CREATE DATABASE "{name}"'))
    url = make_url(pg_settings.database_url).set(database=name)
    settings = pg_settings.model_copy(
        update={"database_url": url.render_as_string(hide_password=False)}
    )
    asyncio.run(upgrade(settings))
    yield settings
    asyncio.run(admin(pg_settings, f'DROP DATABASE "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def stack(pg_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    running = Stack(pg_settings, workdir=tmp_path_factory.mktemp("stack"))
    running.start()
    yield running
    running.stop()


@pytest.fixture
def tenant() -> str:
    """A fresh tenant per test: tests share the database but never each other's rows."""
    return f"t_{uuid.uuid4().hex[:12]}"


@pytest.fixture(scope="session")
def root() -> Path:
    return Path(__file__).resolve().parents[1]


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, config: pytest.Config
) -> None:
    """The order was random (pytest-randomly); -q hides its header, so say how to replay it."""
    seed = getattr(config.option, "randomly_seed", None)
    if seed is not None:
        terminalreporter.write_line(f"random test order: replay it with --randomly-seed={seed}")
