"""docker-compose.yml cannot be run here (no Docker engine): check it against the registry."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from crmgraph.config import Settings
from subgraphs.registry import PORTS

ROOT = Path(__file__).resolve().parents[2]


def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return loaded["services"]


def test_each_subgraph_is_a_service_on_its_registry_port() -> None:
    services = compose()
    for name, port in PORTS.items():
        assert services[name]["command"] == ["serve", name]
        assert f"127.0.0.1:{port}/readyz" in " ".join(services[name]["healthcheck"]["test"])
        assert services["router"]["environment"][f"CRMGRAPH_{name.upper()}_URL"] == (
            f"http://{name}:{port}/graphql"
        )


def test_subgraphs_use_the_full_stack() -> None:
    env = compose()["deals"]["environment"]

    assert env["DATABASE_URL"].startswith("postgresql+asyncpg://")
    assert env["REDIS_URL"].startswith("redis://")
    assert env["NEO4J_URI"].startswith("bolt://")


SECRET_NAMES = re.compile(r"SECRET|PASSWORD|_KEY$|_AUTH$|TOKEN")
REQUIRED = re.compile(r"\$\{(\w+):\?[^}]+\}")


def environments() -> list[tuple[str, str, str]]:
    """(service, variable, value) for every environment entry of every service."""
    return [
        (service, name, str(value))
        for service, spec in compose().items()
        for name, value in (spec.get("environment") or {}).items()
    ]


def test_no_secret_has_a_default() -> None:
    """Compose refuses to start without each secret (`${VAR:?...}`), never falls back to one."""
    secrets = [(s, n, v) for s, n, v in environments() if SECRET_NAMES.search(n)]
    assert {n for _, n, _ in secrets} >= {
        "JWT_SECRET", "NEO4J_PASSWORD", "POSTGRES_PASSWORD", "CRMGRAPH_SECRETS_KEY"}  # fmt: skip

    assert [(s, n) for s, n, v in secrets if not REQUIRED.fullmatch(v.split("/")[-1])] == []


def test_database_url_password_is_required() -> None:
    for service, name, value in environments():
        if name == "DATABASE_URL":
            password = value.split("://", 1)[1].split("@", 1)[0].split(":", 1)[1]
            assert REQUIRED.fullmatch(password), service


def test_published_ports_are_loopback_unless_asked() -> None:
    published = [port for spec in compose().values() for port in spec.get("ports", ())]

    assert published
    assert all(str(port).startswith("${CRMGRAPH_BIND:-127.0.0.1}:") for port in published)


def test_the_router_asks_the_rest_shim_with_the_shared_secret() -> None:
    services = compose()
    router, rest = services["router"]["environment"], services["rest"]

    assert router["CRMGRAPH_AUTH_URL"] == "http://rest:8000/internal/introspect"
    assert rest["command"] == ["serve", "--rest"]
    secret = router["CRMGRAPH_ROUTER_SECRET"]
    assert secret.startswith("${CRMGRAPH_ROUTER_SECRET:?")
    assert services["deals"]["environment"]["CRMGRAPH_ROUTER_SECRET"] == secret


def test_router_and_subgraphs_require_the_router_secret() -> None:
    """No default: compose refuses to start until CRMGRAPH_ROUTER_SECRET is set."""
    services = compose()
    for name in [*PORTS, "router"]:
        secret = services[name]["environment"]["CRMGRAPH_ROUTER_SECRET"]
        assert secret.startswith("${CRMGRAPH_ROUTER_SECRET:?"), (name, secret)


def test_a_worker_runs_the_consumers_and_the_servers_leave_them_to_it() -> None:
    services = compose()
    servers = [name for name, spec in services.items() if spec.get("command", [""])[0] == "serve"]

    assert services["worker"]["command"] == ["worker"]
    assert sorted(servers) == sorted([*PORTS, "rest"])
    for name in servers:
        value = services[name]["environment"]["CONSUMERS_IN_PROCESS"]
        assert Settings(consumers_in_process=value).consumers_in_process is False, name
