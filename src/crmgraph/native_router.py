"""Hive Router (the native, Rust federation router) configured from the router's environment:
the variables router-config/gateway.config.ts reads for Hive Gateway (router-config/README.md),
turned into Hive Router's own configuration file. `CRMGRAPH_ROUTER=hive-router` picks it in
tests/stack.py and scripts/run.sh; `make hive-router` builds the pinned binary once.

    python -m crmgraph.native_router --supergraph FILE --port N --out router.config.json
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from crmgraph.db.pagination import DEFAULT_PAGE_SIZE

#: The pinned release: the newest whose locked build works with this machine's rustc (1.95).
VERSION = "0.2.0"
#: Where `make hive-router` installs it: one directory per version, outside the repository.
CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "crmgraph" / "hive-router"

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
#: router-config/http-security.ts SECURITY_HEADERS, on every response.
SECURITY_HEADERS = {
    "strict-transport-security": "max-age=31536000; includeSubDomains",
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "x-xss-protection": "1; mode=block",
    "content-security-policy": "default-src 'self'; script-src 'self' 'unsafe-inline'",
    "referrer-policy": "strict-origin-when-cross-origin",
    "vary": "Origin",
}
#: router-config/http-security.ts corsFor: what a listed origin may send and read.
CORS_ALLOW_HEADERS = ("Authorization", "Content-Type", "Accept", "X-API-Key", "X-API-Secret",
                      "X-Tenant-ID", "X-Request-ID")  # fmt: skip
CORS_EXPOSE_HEADERS = ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset",
                       "Retry-After", "X-Request-ID")  # fmt: skip
#: Set by the coprocessor on the request, copied onto the answer (router-config/rate-limit.ts).
RATE_LIMIT_HEADERS = ("x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset")
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
}


class ConfigError(ValueError):
    """A router variable with a value the router cannot start with."""


def binary(version: str = VERSION) -> Path:
    return CACHE / version / "bin" / "hive_router"


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
        "traffic_shaping": {"all": {"dedupe_enabled": False}},
        "headers": {
            "all": {
                "request": request_headers,
                "response": [
                    {"insert": {"name": k, "value": v}} for k, v in SECURITY_HEADERS.items()
                ],
            }
        },
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
    socket = env.get("CRMGRAPH_COPROCESSOR_SOCKET", "").strip()
    if socket and _flag(env, "CRMGRAPH_RATE_LIMITS_ENABLED", True):
        config["coprocessor"] = coprocessor(Path(socket))
        config["headers"]["all"]["response"] += [
            {"insert": {"name": name, "expression": f'.request.headers."{name}"'}}
            for name in RATE_LIMIT_HEADERS
        ]
    return config


def demand_control(max_cost: int) -> dict[str, Any]:
    """The cost limit: 0.2.0's demand control prices by the supergraph's @listSize and @cost
    (crmgraph.gql.costs, from router-config/list-sizes.json, as limits.ts does). A connection
    without first/last/pagination is a default page, as in limits.ts; the same number is what
    0.2.0 takes for the entities of each `_entities` fetch (README: Limits)."""
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


def coprocessor(socket: Path) -> dict[str, Any]:
    """The rate limits (crmgraph.coprocessor on `socket`): asked once per GraphQL request
    with its headers and operation; it adds X-RateLimit-* to the request's headers, which the
    response rules copy onto the answer (a second call per request would cost more)."""
    if not socket.is_absolute():
        raise ConfigError(f"CRMGRAPH_COPROCESSOR_SOCKET must be an absolute path, got {socket}")
    return {
        "url": f"unix://{socket}",
        "protocol": "http1",
        # Above the coprocessor's own waits (the REST shim 1 s, Redis 0.5 s): past it, 0.2.0
        # answers 500, where the coprocessor would have let the request pass.
        "timeout": "3s",
        # graphql.request, not router.request: it runs after CORS preflights and the GraphiQL
        # page are answered (Hive Gateway does not count those either), and the router's CORS
        # headers go on its 429 too. Of the body, what names the expensive root fields.
        "stages": {
            "graphql": {
                "request": {"include": {"headers": True, "body": ["query", "operationName"]}}
            }
        },
    }


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
    parser.add_argument("--supergraph", type=Path, required=True)
    parser.add_argument(
        "--port", type=int, default=int(os.environ.get("CRMGRAPH_GATEWAY_PORT", 4000))
    )
    parser.add_argument("--host", default=os.environ.get("CRMGRAPH_GATEWAY_HOST", "127.0.0.1"))
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    try:
        write_config(os.environ, supergraph=args.supergraph, port=args.port, out=args.out,
                     host=args.host)  # fmt: skip
    except ConfigError as exc:
        print(f"crmgraph: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
