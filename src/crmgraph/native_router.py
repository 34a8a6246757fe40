"""Hive Router (the native, Rust federation router) configured from the router's environment:
the variables router-config/gateway.config.ts reads for Hive Gateway (router-config/README.md),
turned into Hive Router's own configuration file, plugins' blocks included (our build of it,
router-native/, adds rate limits, the client-address hop and security headers as Rust
plugins). `CRMGRAPH_ROUTER=hive-router` picks it in tests/stack.py and scripts/run.sh;
`make hive-router` builds the binary that binary() names, once per version of router-native/.

    python -m crmgraph.native_router --supergraph FILE --port N --out router.config.json
    python -m crmgraph.native_router --binary     # where the build for this checkout goes
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from crmgraph.config import Settings
from crmgraph.db.pagination import DEFAULT_PAGE_SIZE
from crmgraph.rest.rate_limit_config import rate_limits_from

#: The pinned release: the newest whose locked build works with this machine's rustc (1.95).
VERSION = "0.2.0"
#: Where `make hive-router` builds it, outside the repository: one directory per source hash.
CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "crmgraph" / "hive-router"
REPO = Path(__file__).resolve().parents[2]
#: Our build of Hive Router: the crate and its plugins.
PACKAGE = REPO / "router-native"
#: Compiled into the build (include_str!), so part of what names it.
BUILD_INPUTS = (REPO / "router-config" / "rate-limit.lua",)
#: The security headers table both routers read (http-security.ts too).
SECURITY_HEADERS_FILE = REPO / "router-config" / "security-headers.json"
#: The error codes both routers answer with (error-codes.ts too).
ERROR_CODES_FILE = REPO / "router-config" / "error-codes.json"

SUBGRAPHS = ("contacts", "deals", "leads", "accounts", "activities", "pipelines")
#: Client headers passed to every subgraph (gateway.config.ts FORWARDED_HEADERS).
FORWARDED_HEADERS = ("authorization", "x-api-key", "x-api-secret", "x-tenant-id", "x-request-id")
#: Where a browser's CORS request may come from when CRMGRAPH_CORS_ORIGINS is unset.
DEFAULT_CORS_ORIGINS = (
    "http://localhost:3000",
    "https://localhost:3000",
    "http://localhost:4000",
    "http://127.0.0.1:4000",
)
#: router-config/http-security.ts corsFor: what a listed origin may send and read.
CORS_ALLOW_HEADERS = ("Authorization", "Content-Type", "Accept", "X-API-Key", "X-API-Secret",
                      "X-Tenant-ID", "X-Request-ID")  # fmt: skip
CORS_EXPOSE_HEADERS = ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset",
                       "Retry-After", "X-Request-ID")  # fmt: skip
#: Whom a request counts against (crmgraph_rate_limits): the REST shim's answer for a
#: credential is reused FRESH_MS, refreshed in the background from REFRESH_MS on (no request
#: waits on an expiring answer), and still served GRACE_MS after FRESH_MS while the shim does
#: not answer; RETRY_MS leaves a silent shim alone; TIMEOUT_MS bounds one question. Hive
#: Gateway's timings (router-config/identity.ts identityFromEnv), but for the refresh, which
#: starts early enough that a question that times out still ends before the answer expires.
IDENTITY_TIMINGS = {"fresh_ms": 5000, "refresh_ms": 3500, "grace_ms": 5000, "retry_ms": 2000,
                    "timeout_ms": 1000}  # fmt: skip
#: router-config/http-security.ts CSRF_PREFLIGHT_HEADERS.
CSRF_PREFLIGHT_HEADERS = (
    "apollo-require-preflight",
    "x-apollo-operation-name",
    "x-graphql-yoga-csrf",
)
#: router-config/limits.ts DEFAULT_LIMITS.
DEFAULT_LIMITS = {
    "CRMGRAPH_MAX_DEPTH": 12,
    "CRMGRAPH_MAX_ALIASES": 30,
    "CRMGRAPH_MAX_TOKENS": 2000,
    "CRMGRAPH_MAX_COST": 8000,
    "CRMGRAPH_MAX_BODY_BYTES": 1_000_000,
    # router-config/subgraph-faults.ts: a subgraph request not answered by then is given up.
    "CRMGRAPH_SUBGRAPH_TIMEOUT_MS": 10_000,
}


class ConfigError(ValueError):
    """A router variable with a value the router cannot start with."""


def build_inputs() -> list[Path]:
    """What the build is made from: router-native's manifest, lock file and sources, and the
    files they compile in."""
    sources = sorted(p for p in (PACKAGE / "src").rglob("*.rs") if p.is_file())
    return [PACKAGE / "Cargo.toml", PACKAGE / "Cargo.lock", *sources, *BUILD_INPUTS]


def build_key() -> str:
    """A hash of build_inputs(): a changed plugin is built afresh, an unchanged one reused."""
    digest = hashlib.sha256()
    for path in build_inputs():
        digest.update(str(path.relative_to(REPO)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def binary() -> Path:
    """The one path every starter runs (scripts/run.sh, tests, bench): this checkout's build."""
    return CACHE / f"{VERSION}-crmgraph-{build_key()}" / "hive_router"


def security_headers() -> dict[str, object]:
    """router-config/security-headers.json without its comment."""
    return _table(SECURITY_HEADERS_FILE)


def error_codes() -> dict[str, object]:
    """router-config/error-codes.json without its comment."""
    return _table(ERROR_CODES_FILE)


def _table(path: Path) -> dict[str, object]:
    table = json.loads(path.read_text())
    return {k: v for k, v in table.items() if k != "//"}


def router_secret(env: Mapping[str, str]) -> str:
    """gateway.config.ts routerSecretFromEnv: no default, so the router does not start without."""
    secret = env.get("CRMGRAPH_ROUTER_SECRET", "")
    if len(secret) < 32 or not re.fullmatch(r"[\x21-\x7e]+", secret) or re.search(r"[{}]", secret):
        raise ConfigError(
            "CRMGRAPH_ROUTER_SECRET must be set to the secret the subgraphs share: at least 32 "
            "printable characters without spaces or braces (make one with: openssl rand -hex 32)"
        )
    return secret


def _positive(env: Mapping[str, str], name: str) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return DEFAULT_LIMITS[name]
    if not raw.isdigit() or int(raw) <= 0:
        raise ConfigError(f"{name} must be a positive integer, got {raw!r}")
    return int(raw)


def _flag(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name} must be true or false, got {raw!r}")


def cors_origins(env: Mapping[str, str]) -> list[str]:
    raw = env.get("CRMGRAPH_CORS_ORIGINS")
    if raw is None:
        return list(DEFAULT_CORS_ORIGINS)
    return [o.strip().rstrip("/") for o in raw.split(",") if o.strip()]


def _origin_pattern(origin: str) -> str:
    """`https://*.example.com`: `*` stands for one host label (http-security.ts originMatcher)."""
    return "^" + "[A-Za-z0-9-]+".join(re.escape(part) for part in origin.split("*")) + "$"


def _cors(origins: Sequence[str]) -> dict[str, Any]:
    exact = [o for o in origins if "*" not in o]
    patterns = [_origin_pattern(o) for o in origins if "*" in o]
    policy: dict[str, Any] = {"origins": exact} if exact else {}
    if patterns:
        policy["match_origin"] = patterns
    return {
        "enabled": True,
        "allow_any_origin": False,
        "allow_credentials": True,
        "methods": ["GET", "POST", "PUT", "DELETE", "OPTIONS"],
        "allow_headers": list(CORS_ALLOW_HEADERS),
        "expose_headers": list(CORS_EXPOSE_HEADERS),
        "max_age": 86400,
        "policies": [policy] if policy else [],
    }


def router_config(
    env: Mapping[str, str], *, supergraph: Path, port: int, host: str = "127.0.0.1"
) -> dict[str, Any]:
    """Hive Router 0.2.0's configuration (its config/*.rs): what gateway.config.ts sets for
    Hive Gateway, as far as this release has it (bench/README.md's behaviour matrix)."""
    secret = router_secret(env)
    overrides = {
        name: {"url": url.strip()}
        for name in SUBGRAPHS
        if (url := env.get(f"CRMGRAPH_{name.upper()}_URL", "")).strip()
    }
    request_headers: list[dict[str, Any]] = [
        {"propagate": {"named": list(FORWARDED_HEADERS)}},
        # The router's secret, never the client's: x-router-secret is not propagated.
        {"insert": {"name": "x-router-secret", "value": secret}},
    ]
    config: dict[str, Any] = {
        "supergraph": {"source": "file", "path": str(supergraph)},
        "http": {"host": host, "port": port},
        "log": {"level": env.get("CRMGRAPH_GATEWAY_LOG_LEVEL", "info") or "info"},
        # Each client request gets its own subgraph requests (no in-flight deduplication).
        # A subgraph that does not answer (a paused process) is given up on after this.
        "traffic_shaping": {
            "all": {
                "dedupe_enabled": False,
                "request_timeout": f"{_positive(env, 'CRMGRAPH_SUBGRAPH_TIMEOUT_MS')}ms",
            }
        },
        "headers": {"all": {"request": request_headers}},
        "override_subgraph_urls": {"subgraphs": overrides},
        # Subgraph errors reach clients unchanged, with their codes (as with Hive Gateway): no
        # "Unexpected error" masking, and without the router's `service` (the subgraph's name)
        # and `affectedPath` extensions, which are not in our error format.
        "error_masking": {
            "enabled": True,
            "all": {
                "enabled": False,
                "extensions": {"mode": "deny", "keys": ["service", "affectedPath"]},
            },
        },
        "cors": _cors(cors_origins(env)),
        "csrf": {"enabled": True, "required_headers": list(CSRF_PREFLIGHT_HEADERS)},
        "limits": {
            # Fragments do not add a level, as with graphql-armor.
            "max_depth": {"n": _positive(env, "CRMGRAPH_MAX_DEPTH"), "flatten_fragments": True},
            "max_aliases": {"n": _positive(env, "CRMGRAPH_MAX_ALIASES")},
            "max_tokens": {"n": _positive(env, "CRMGRAPH_MAX_TOKENS")},
            "max_request_body_size": f"{_positive(env, 'CRMGRAPH_MAX_BODY_BYTES')}B",
        },
        "demand_control": demand_control(_positive(env, "CRMGRAPH_MAX_COST")),
        "introspection": _flag(env, "CRMGRAPH_INTROSPECTION", True),
        "laboratory": {"enabled": True},
        "subscriptions": {"enabled": True, "websocket": {"all": {"path": "/graphql"}}},
        # Client WebSockets on /graphql; credentials from connection_init, as with Hive Gateway.
        "websocket": {"enabled": True, "headers": {"source": "connection"}},
        "telemetry": {"metrics": {"exporters": [{"kind": "prometheus", "path": "/metrics"}]}},
    }
    config["plugins"] = plugins(env, secret)
    return config


def demand_control(max_cost: int) -> dict[str, Any]:
    """The cost limit: 0.2.0's demand control prices by the supergraph's @listSize and @cost
    (crmgraph.gql.costs, from router-config/list-sizes.json, as limits.ts does). A connection
    without first/last/pagination is a default page, as in limits.ts; the same number is what
    0.2.0 takes for the entities of each `_entities` fetch (README: Limits). The plugin
    crmgraph_cost_limit (router-native/src/cost) is built in but off: it ignores the
    request's variables so far."""
    return {
        "enabled": True,
        "operation_cost": {
            "max": max_cost,
            "mode": "enforce",
            # Hive Gateway puts both in the refusal's extensions.cost; 0.2.0 cannot.
            "expose_headers": {"estimated": True, "max": True},
        },
        "default_list_size": {"all": DEFAULT_PAGE_SIZE},
        "subgraphs_budget": {"mode": "measure"},
    }


def plugins(env: Mapping[str, str], secret: str) -> dict[str, Any]:
    """The blocks of our plugins (router-native/src): security headers on every answer,
    `application/graphql+json` taken as JSON, the client's address to the subgraphs, and the
    rate limits when they are on."""
    blocks: dict[str, Any] = {
        "crmgraph_security_headers": {
            "enabled": True,
            "config": {**security_headers(), "graphiql_path": "/graphql"},
        },
        "crmgraph_graphql_json": {"enabled": True, "config": {}},
        "crmgraph_client_address": {"enabled": True, "config": {}},
        "crmgraph_error_codes": {"enabled": True, "config": error_codes()},
    }
    settings = _settings(env, secret)
    try:
        limits = rate_limits_from(settings)
    except ValueError as exc:
        raise ConfigError(str(exc)) from exc
    if limits.enabled:
        if settings.redis_url.startswith("memory://"):  # the embedded mode of `make run`
            print("crmgraph: Hive Router counts rate limits in Redis only: none without "
                  "REDIS_URL", file=sys.stderr)  # fmt: skip
            return blocks
        blocks["crmgraph_rate_limits"] = {"enabled": True, "config": {
            "redis_url": settings.redis_url,
            "identity": {"url": settings.auth_url, "router_secret": secret, **IDENTITY_TIMINGS},
            "tiers": {name: asdict(tier) for name, tier in limits.tiers.items()},
            # A list, not an object: field names keep their case whatever the config loader does.
            "operations": [{"field": f, "per_minute": n} for f, n in limits.operations.items()],
        }}  # fmt: skip
    return blocks


def _settings(env: Mapping[str, str], secret: str) -> Settings:
    """Settings (the one reader of these variables) from env rather than the process's own."""
    names = {"REDIS_URL": "redis_url", "CRMGRAPH_RATE_LIMITS": "rate_limits",
             "CRMGRAPH_RATE_LIMITS_ENABLED": "rate_limits_enabled",
             "CRMGRAPH_AUTH_URL": "auth_url"}  # fmt: skip
    # Each from env or its default, never from this process's own environment.
    given: dict[str, Any] = {
        field: env[name] if env.get(name) else Settings.model_fields[field].default
        for name, field in names.items()
    }
    try:
        # It opens no database: the database's own requirements do not apply.
        return Settings(database_url="sqlite+aiosqlite:///:memory:", router_secret=secret, **given)
    except ValueError as exc:
        raise ConfigError(str(exc).splitlines()[0]) from exc


def write_config(env: Mapping[str, str], *, supergraph: Path, port: int, out: Path,
                 host: str = "127.0.0.1") -> None:  # fmt: skip
    """router_config as JSON (Hive Router reads .json), readable by its owner only: it holds
    the router's secret."""
    config = router_config(env, supergraph=supergraph.resolve(), port=port, host=host)
    out.unlink(missing_ok=True)
    out.touch(mode=0o600)
    out.write_text(json.dumps(config, indent=2) + "\n")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m crmgraph.native_router", description=__doc__)
    parser.add_argument("--binary", action="store_true", help="print binary() and stop")
    parser.add_argument("--supergraph", type=Path)
    parser.add_argument(
        "--port", type=int, default=int(os.environ.get("CRMGRAPH_GATEWAY_PORT", 4000))
    )
    parser.add_argument("--host", default=os.environ.get("CRMGRAPH_GATEWAY_HOST", "127.0.0.1"))
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    if args.binary:
        print(binary())
        return 0
    if args.supergraph is None or args.out is None:
        parser.error("--supergraph and --out are required")
    try:
        write_config(os.environ, supergraph=args.supergraph, port=args.port, out=args.out,
                     host=args.host)  # fmt: skip
    except ConfigError as exc:
        print(f"crmgraph: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
