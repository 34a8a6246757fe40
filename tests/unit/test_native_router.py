"""crmgraph.native_router: Hive Router's configuration made from the router's environment."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from crmgraph import native_router
from crmgraph.native_router import ConfigError, router_config
from tests.router_limits import ts_constant

ROOT = Path(__file__).resolve().parents[2]
SECRET = "s" * 40


def config(**env: str) -> dict:  # type: ignore[type-arg]
    return router_config({"CRMGRAPH_ROUTER_SECRET": SECRET, **env},
                         supergraph=Path("/x/supergraph.graphql"), port=4100)  # fmt: skip


def test_the_build_is_of_the_version_the_configuration_is_written_for() -> None:
    manifest = (ROOT / "router-native" / "Cargo.toml").read_text()
    pinned = re.search(r'^hive-router = \{ version = "=(\S+)"', manifest, re.M)
    assert pinned is not None
    assert pinned.group(1) == native_router.VERSION
    assert native_router.binary().parent.name.startswith(f"{native_router.VERSION}-crmgraph-")


@pytest.mark.parametrize("secret", ["", "short", "x" * 31, "a b" * 20, "{" + "x" * 40 + "}"])
def test_no_router_without_a_usable_secret(secret: str) -> None:
    with pytest.raises(ConfigError, match="CRMGRAPH_ROUTER_SECRET"):
        router_config({"CRMGRAPH_ROUTER_SECRET": secret}, supergraph=Path("s"), port=1)


def test_subgraphs_get_the_routers_secret_and_the_clients_credentials_only() -> None:
    rules = config()["headers"]["all"]["request"]
    propagated = rules[0]["propagate"]["named"]
    assert "authorization" in propagated and "x-api-key" in propagated
    assert "x-router-secret" not in propagated
    assert rules[-1] == {"insert": {"name": "x-router-secret", "value": SECRET}}


def test_nothing_is_deduplicated_and_subgraph_errors_pass_unmasked() -> None:
    made = config()
    assert made["traffic_shaping"]["all"]["dedupe_enabled"] is False
    assert made["error_masking"]["all"]["enabled"] is False  # messages pass unredacted
    assert made["supergraph"] == {"source": "file", "path": "/x/supergraph.graphql"}
    assert made["http"] == {"host": "127.0.0.1", "port": 4100}


def test_a_silent_subgraph_is_given_up_on_after_the_gateways_timeout() -> None:
    timeout = re.search(
        r"DEFAULT_SUBGRAPH_TIMEOUT_MS = ([0-9_]+);",
        (ROOT / "router-config" / "subgraph-faults.ts").read_text(),
    )
    assert timeout is not None
    shaping = config()["traffic_shaping"]["all"]
    assert shaping["request_timeout"] == f"{int(timeout.group(1).replace('_', ''))}ms"
    assert (
        config(CRMGRAPH_SUBGRAPH_TIMEOUT_MS="2500")["traffic_shaping"]["all"]["request_timeout"]
        == "2500ms"
    )
    with pytest.raises(ConfigError, match="CRMGRAPH_SUBGRAPH_TIMEOUT_MS"):
        config(CRMGRAPH_SUBGRAPH_TIMEOUT_MS="soon")


def test_limits_come_from_the_same_variables_as_hive_gateways() -> None:
    limits = config(CRMGRAPH_MAX_DEPTH="5", CRMGRAPH_MAX_BODY_BYTES="2048")["limits"]
    assert limits["max_depth"] == {"n": 5, "flatten_fragments": True}
    assert limits["max_aliases"] == {"n": 30}
    assert limits["max_request_body_size"] == "2048B"
    with pytest.raises(ConfigError, match="CRMGRAPH_MAX_DEPTH"):
        config(CRMGRAPH_MAX_DEPTH="-1")
    assert config(CRMGRAPH_INTROSPECTION="false")["introspection"] is False


def test_the_cost_limit_comes_from_max_cost_with_the_default_page() -> None:
    cost = config(CRMGRAPH_MAX_COST="500")["demand_control"]
    assert cost["enabled"] is True
    assert cost["operation_cost"]["max"] == 500
    assert cost["operation_cost"]["mode"] == "enforce"
    # A connection without first/last/pagination is priced as a default page, as in limits.ts.
    assert cost["default_list_size"] == {"all": ts_constant("DEFAULT_PAGE_SIZE")}
    assert config()["demand_control"]["operation_cost"]["max"] == 8000
    with pytest.raises(ConfigError, match="CRMGRAPH_MAX_COST"):
        config(CRMGRAPH_MAX_COST="0")


def test_graphql_json_requests_are_taken_as_json() -> None:
    assert config()["plugins"]["crmgraph_graphql_json"] == {"enabled": True, "config": {}}


def test_a_cors_wildcard_stands_for_one_host_label() -> None:
    cors = config(CRMGRAPH_CORS_ORIGINS="https://app.example.com/, https://*.example.org")["cors"]
    [policy] = cors["policies"]
    assert policy["origins"] == ["https://app.example.com"]
    [pattern] = policy["match_origin"]
    assert re.match(pattern, "https://crm.example.org")
    assert not re.match(pattern, "https://a.b.example.org")
    assert not re.match(pattern, "https://example.org.evil.com")
    assert cors["allow_any_origin"] is False


def test_the_written_file_is_its_owners_only(tmp_path: Path) -> None:
    out = tmp_path / "router.json"
    native_router.write_config({"CRMGRAPH_ROUTER_SECRET": SECRET}, supergraph=tmp_path / "s",
                               port=1, out=out)  # fmt: skip
    assert out.stat().st_mode & 0o077 == 0
    assert SECRET in out.read_text()
