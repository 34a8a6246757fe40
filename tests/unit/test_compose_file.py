"""docker-compose.yml cannot be run here (no Docker engine): check it against the registry."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from subgraphs.registry import PORTS

ROOT = Path(__file__).resolve().parents[2]


def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return loaded["services"]


def test_each_subgraph_is_a_service_on_its_registry_port() -> None:
    services = compose()
    for name, port in PORTS.items():
        assert services[name]["command"] == ["serve", name]
        assert f"127.0.0.1:{port}/health" in " ".join(services[name]["healthcheck"]["test"])
        assert services["router"]["environment"][f"CRMGRAPH_{name.upper()}_URL"] == (
            f"http://{name}:{port}/graphql"
        )


def test_subgraphs_use_the_full_stack() -> None:
    env = compose()["deals"]["environment"]

    assert env["DATABASE_URL"].startswith("postgresql+asyncpg://")
    assert env["REDIS_URL"].startswith("redis://")
    assert env["NEO4J_URI"].startswith("bolt://")


def test_router_and_subgraphs_require_the_router_secret() -> None:
    """No default: compose refuses to start until CRMGRAPH_ROUTER_SECRET is set."""
    services = compose()
    for name in [*PORTS, "router"]:
        secret = services[name]["environment"]["CRMGRAPH_ROUTER_SECRET"]
        assert secret.startswith("${CRMGRAPH_ROUTER_SECRET:?"), (name, secret)
