"""The crmgraph command on bad configuration: one clear line, a non-zero exit, no traceback."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import time
from pathlib import Path

import httpx
import jwt

from crmgraph.config import DEV_JWT_SECRET, Settings
from tests.ports import free_port

CRMGRAPH = str(Path(sys.executable).parent / "crmgraph")


def run(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    settings = ("DATABASE", "REDIS", "NEO4J", "CRMGRAPH_ROUTER_SECRET")
    keep = {k: v for k, v in os.environ.items() if not k.startswith(settings)}
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


def test_serve_refuses_to_start_subgraphs_without_a_router_secret(pg_settings: Settings) -> None:
    full = {"DATABASE_URL": pg_settings.database_url, "REDIS_URL": pg_settings.redis_url}
    port = str(free_port())

    missing = run("serve", "deals", "--port", port, **full)
    short = run("serve", "deals", "--port", port, **full, CRMGRAPH_ROUTER_SECRET="0123456789")

    assert_one_clear_line(missing, "CRMGRAPH_ROUTER_SECRET", "openssl rand -hex 32")
    assert_one_clear_line(short, "CRMGRAPH_ROUTER_SECRET", "at least 32 printable characters")


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


def test_serve_reuse_port_lets_two_processes_share_a_port(
    pg_settings: Settings, tmp_path: Path
) -> None:
    """Workers: two `serve --reuse-port` processes listen on one port (the kernel spreads
    connections over them); without the flag the second one would fail to bind and exit."""
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": pg_settings.database_url,
        "REDIS_URL": pg_settings.redis_url,
        "NEO4J_URI": pg_settings.neo4j_uri or "",
        "NEO4J_PASSWORD": pg_settings.neo4j_password,
        "CRMGRAPH_ROUTER_SECRET": secrets.token_hex(32),
    }
    command = [CRMGRAPH, "serve", "pipelines", "--port", str(port), "--reuse-port"]
    # Logs to a file, not a pipe nobody reads (a full pipe would block the server).
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        workers = [
            subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
            for _ in range(2)
        ]
    try:
        deadline = time.monotonic() + 60
        listening: set[str] = set()
        while time.monotonic() < deadline:
            assert all(w.poll() is None for w in workers), log.read_text()[-2000:]
            found = subprocess.run(["ss", "-ltnpH", f"sport = :{port}"], capture_output=True,
                                   text=True).stdout  # fmt: skip
            listening = {pid for w in workers if (pid := f"pid={w.pid},") in found}
            if len(listening) == 2:
                break
            time.sleep(0.2)
        assert len(listening) == 2
        assert httpx.get(f"http://127.0.0.1:{port}/health", timeout=5).status_code == 200
    finally:
        for worker in workers:
            worker.terminate()
            worker.wait(timeout=20)


def serve_refused(**env: str) -> subprocess.CompletedProcess[str]:
    """`crmgraph serve --rest` that must exit at once; one that starts anyway is killed and
    reported as the failure it is."""
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE", "REDIS", "NEO4J"))}
    env = {**keep, "REST_PORT": str(free_port()), **env}
    with subprocess.Popen(
        [CRMGRAPH, "serve", "--rest"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True,
    ) as process:  # fmt: skip
        try:
            stdout, stderr = process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            stdout, stderr = process.communicate()
            raise AssertionError(f"crmgraph serve started anyway: {stderr[-2000:]}") from None
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)


def test_anonymous_tenant_is_refused_in_full_mode(pg_settings: Settings) -> None:
    result = serve_refused(
        ANONYMOUS_TENANT="demo",
        DATABASE_URL=pg_settings.database_url,
        REDIS_URL=pg_settings.redis_url,
        NEO4J_URI=pg_settings.neo4j_uri or "",
        NEO4J_PASSWORD=pg_settings.neo4j_password,
    )

    assert_one_clear_line(result, "ANONYMOUS_TENANT", "mode is full")


def test_anonymous_tenant_is_refused_off_loopback(tmp_path: Path) -> None:
    result = serve_refused(
        ANONYMOUS_TENANT="demo",
        DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path}/crm.db",
        HOST="0.0.0.0",
    )

    assert_one_clear_line(result, "ANONYMOUS_TENANT", "HOST 0.0.0.0")


def test_anonymous_tenant_serves_the_embedded_demo_on_loopback(tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE", "REDIS", "NEO4J"))}
    env |= {"ANONYMOUS_TENANT": "demo", "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/crm.db",
            "HOST": "127.0.0.1", "REST_PORT": str(port)}  # fmt: skip
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        server = subprocess.Popen([CRMGRAPH, "serve", "--rest"], env=env, stdout=out,
                                  stderr=subprocess.STDOUT)  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        status = None
        while status is None and time.monotonic() < deadline:
            assert server.poll() is None, log.read_text()[-2000:]
            try:
                status = httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code
            except httpx.TransportError:
                time.sleep(0.2)
        assert status == 200
    finally:
        server.terminate()
        server.wait(timeout=20)
