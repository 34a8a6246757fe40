"""crmgraph.native_router: the blocks of our Hive Router plugins (router-native/src), made from
the variables Settings reads, and the build's cache key."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from crmgraph import native_router
from crmgraph.native_router import ConfigError
from tests.fuzz.refusals import DOCUMENTED_CODES
from tests.unit.test_native_router import ROOT, SECRET, config

REDIS = {"REDIS_URL": "redis://127.0.0.1:6379/0"}


def test_the_rate_limit_plugin_gets_the_limits_redis_and_the_shim() -> None:
    limits = json.dumps({"api_integration": {"burst_limit": 7}, "operations": {"dealForecast": 3}})
    block = config(**REDIS, CRMGRAPH_RATE_LIMITS=limits,
                   CRMGRAPH_AUTH_URL="http://shim:8000/internal/introspect")["plugins"]  # fmt: skip
    made = block["crmgraph_rate_limits"]["config"]

    assert made["redis_url"] == REDIS["REDIS_URL"]
    timings = native_router.IDENTITY_TIMINGS
    assert made["identity"] == {"url": "http://shim:8000/internal/introspect",
                                "router_secret": SECRET, **timings}  # fmt: skip
    assert made["tiers"]["api_integration"] == {"requests_per_minute": 5000,
        "requests_per_hour": 50_000, "requests_per_day": 500_000, "burst_limit": 7}  # fmt: skip
    assert {"field": "dealForecast", "per_minute": 3} in made["operations"]
    assert {"field": "searchContacts", "per_minute": 100} in made["operations"]


def test_a_refresh_starts_before_the_answer_expires() -> None:
    timings = native_router.IDENTITY_TIMINGS
    assert timings["refresh_ms"] < timings["fresh_ms"]
    assert timings["timeout_ms"] < timings["fresh_ms"] - timings["refresh_ms"]


def test_no_rate_limit_plugin_with_limits_off_or_without_redis() -> None:
    off = config(**REDIS, CRMGRAPH_RATE_LIMITS_ENABLED="false")["plugins"]
    assert "crmgraph_rate_limits" not in off
    assert "crmgraph_rate_limits" not in config(REDIS_URL="memory://")["plugins"]
    assert off["crmgraph_client_address"] == {"enabled": True, "config": {}}


def test_bad_rate_limits_stop_the_router_with_their_message() -> None:
    with pytest.raises(ConfigError, match="CRMGRAPH_RATE_LIMITS: unknown key gold"):
        config(**REDIS, CRMGRAPH_RATE_LIMITS='{"gold": {}}')


def test_both_routers_read_one_table_of_security_headers() -> None:
    table = json.loads((ROOT / "router-config" / "security-headers.json").read_text())
    block = config()["plugins"]["crmgraph_security_headers"]["config"]

    assert block == {**{k: v for k, v in table.items() if k != "//"}, "graphiql_path": "/graphql"}
    assert block["headers"]["X-Frame-Options"] == "DENY"
    assert "security-headers.json" in (ROOT / "router-config" / "http-security.ts").read_text()
    # Header rules would add them to executed operations only; the plugin does every answer.
    assert "response" not in config()["headers"]["all"]


def test_both_routers_read_one_table_of_error_codes() -> None:
    """Every code a router's refusal is renamed to is one README documents (the fuzzers'
    check, tests/fuzz/refusals.py), and no router code is claimed by two of ours; a
    documented code is only given its status."""
    table = json.loads((ROOT / "router-config" / "error-codes.json").read_text())
    block = config()["plugins"]["crmgraph_error_codes"]

    assert block == {"enabled": True, "config": {k: v for k, v in table.items() if k != "//"}}
    assert set(table["codes"]) | {table["uncoded"]} <= DOCUMENTED_CODES
    theirs = [(code, ours) for ours, rename in table["codes"].items() for code in rename["router"]]
    assert len(theirs) == len(dict(theirs))
    assert all(code == ours for code, ours in theirs if code in DOCUMENTED_CODES)
    assert "error-codes.json" in (ROOT / "router-config" / "error-codes.ts").read_text()


def test_a_changed_plugin_names_a_new_build_and_an_unchanged_one_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copytree(ROOT / "router-native", tmp_path / "router-native",
                    ignore=shutil.ignore_patterns("target"))  # fmt: skip
    (tmp_path / "router-config").mkdir()
    lua = tmp_path / "router-config" / "rate-limit.lua"
    shutil.copy(ROOT / "router-config" / "rate-limit.lua", lua)
    monkeypatch.setattr(native_router, "REPO", tmp_path)
    monkeypatch.setattr(native_router, "PACKAGE", tmp_path / "router-native")
    monkeypatch.setattr(native_router, "BUILD_INPUTS", (lua,))

    before = native_router.binary()
    assert native_router.binary() == before
    assert before.parent.name == f"{native_router.VERSION}-crmgraph-{native_router.build_key()}"
    (tmp_path / "router-native" / "src" / "main.rs").write_text("// changed\n", "utf-8")
    changed = native_router.binary()
    lua.write_text(lua.read_text() + "-- changed\n")

    assert changed != before
    assert native_router.binary() not in (before, changed)
