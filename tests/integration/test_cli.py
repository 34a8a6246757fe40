"""The crmgraph command on bad configuration: one clear line, a non-zero exit, no traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import jwt

from crmgraph.config import DEV_JWT_SECRET, Settings

CRMGRAPH = str(Path(sys.executable).parent / "crmgraph")


def run(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE", "REDIS", "NEO4J"))}
    return subprocess.run(
        [CRMGRAPH, *args], env={**keep, **env}, capture_output=True, text=True, timeout=60
    )


def assert_one_clear_line(result: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert result.returncode == 2, result
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]


def test_check_names_unreachable_postgres_with_password_masked() -> None:
    result = run("check", DATABASE_URL="postgresql://crm:hunter2@127.0.0.1:1/crm")

    assert_one_clear_line(result, "PostgreSQL", "postgresql+asyncpg://crm:***@127.0.0.1:1/crm")
    assert "hunter2" not in result.stderr


def test_check_names_unreachable_redis(pg_settings: Settings) -> None:
    result = run(
        "check",
        DATABASE_URL=pg_settings.database_url,
        REDIS_URL="redis://:pw@127.0.0.1:1/0",
    )

    assert_one_clear_line(result, "Redis", "redis://:***@127.0.0.1:1/0")


def test_check_names_neo4j_with_wrong_password(pg_settings: Settings) -> None:
    result = run(
        "check",
        DATABASE_URL=pg_settings.database_url,
        REDIS_URL=pg_settings.redis_url,
        NEO4J_URI=pg_settings.neo4j_uri or "",
        NEO4J_PASSWORD="wrong-password",
    )

    assert_one_clear_line(result, "Neo4j", pg_settings.neo4j_uri or "")


def test_check_reports_every_service_up(pg_settings: Settings) -> None:
    result = run(
        "check",
        DATABASE_URL=pg_settings.database_url,
        REDIS_URL=pg_settings.redis_url,
        NEO4J_URI=pg_settings.neo4j_uri or "",
        NEO4J_PASSWORD=pg_settings.neo4j_password,
    )

    assert result.returncode == 0, result.stderr
    assert [line.split()[:2] for line in result.stdout.splitlines()] == [
        ["database", "up"],
        ["pubsub", "up"],
        ["graph", "up"],
    ]


def test_unknown_database_scheme_is_refused() -> None:
    result = run("check", DATABASE_URL="mysql://root@localhost/crm")

    assert_one_clear_line(result, "DATABASE_URL", "postgresql://")


def test_token_is_a_jwt_for_the_tenant() -> None:
    result = run("token", "--tenant", "acme", "--role", "sales_rep")
    settings = Settings()

    assert "development key" in result.stderr
    claims = jwt.decode(
        result.stdout.strip(),
        DEV_JWT_SECRET,
        algorithms=["HS256"],
        audience=settings.jwt_audience,
    )
    assert (claims["tenant_id"], claims["user_roles"]) == ("acme", ["sales_rep"])
