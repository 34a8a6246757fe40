"""Rate limits through two real routers sharing Redis, and through the REST shim, with limits
small enough (CRMGRAPH_RATE_LIMITS) that a test reaches them in a few requests."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any, cast

import httpx
import pytest
import redis
import uvicorn

from crmgraph.rest.app import create_rest_app
from tests.ports import free_port
from tests.routers import Router, router_env
from tests.stack import Stack, _wait

# Refill is one token per 10 s for users, so a test never sees a token come back;
# integrations refill fast, so that only the per-field limit can refuse them.
LIMITS = {
    "authenticated_user": {"requests_per_minute": 6, "burst_limit": 3},
    "api_integration": {"requests_per_minute": 600, "burst_limit": 50},
    "premium_integration": {"requests_per_minute": 12, "burst_limit": 6},
    "operations": {"searchContacts": 2},
    # The REST shim's alone: the gateway must start with it all the same.
    "routes": {"exportDeals": {"limit": 50, "window_seconds": 60}},
}
DEALS = "{ deals(first: 1) { totalCount } }"
SEARCH = '{ searchContacts(query: "ada") { id } }'
CREATE_KEY = """mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) {
  apiKey { key } secret } }"""
HEADERS = ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset")


def start_router(stack: Stack, port: int, name: str, **env: str) -> Router:
    """A router of the stack's kind (Hive Gateway, or our Hive Router build)."""
    return Router(stack, port, name, router_env(stack, **env))


def wait_ready(stack: Stack, router: Router, port: int, name: str) -> None:
    router.wait_ready()


@pytest.fixture(scope="module")
def routers(stack: Stack) -> Iterator[dict[str, str]]:
    """Two limited routers on one Redis, and one whose Redis is not there."""
    tiny = {"CRMGRAPH_RATE_LIMITS": json.dumps(LIMITS)}
    specs = {
        "limited": (free_port(), tiny),
        "limited-twin": (free_port(), tiny),
        "no-redis": (free_port(), {**tiny, "REDIS_URL": "redis://127.0.0.1:9/0"}),
    }
    with ExitStack() as cleanup:
        started = {}
        for name, (port, env) in specs.items():
            router = start_router(stack, port, name, **env)
            cleanup.callback(router.stop)
            started[name] = (router, port)
        for name, (router, port) in started.items():
            wait_ready(stack, router, port, name)
        yield {name: f"http://127.0.0.1:{port}/graphql" for name, (_, port) in started.items()}


def post(stack: Stack, url: str, query: str, token: str | None = None, **headers: str) -> Any:
    if token is not None:
        headers["authorization"] = f"Bearer {token}"
    return stack.graphql(query, url=url, headers=headers)


def refused_body(response: httpx.Response) -> dict[str, Any]:
    retry = int(response.headers["Retry-After"])
    message = f"Rate limit exceeded. Try again in {retry} seconds."
    assert response.status_code == 429
    assert response.json()["errors"] == [
        {"message": message, "extensions": {"code": "RATE_LIMIT_EXCEEDED", "retry_after": retry}}
    ]
    assert response.json()["error"]["message"] == message
    assert response.json()["success"] is False
    body: dict[str, Any] = response.json()["error"]
    return body


def test_every_response_carries_rate_limit_headers_and_remaining_falls(
    stack: Stack, tenant: str, routers: dict[str, str]
) -> None:
    token = stack.token(tenant)
    before = int(time.time())

    responses = [post(stack, routers["limited"], DEALS, token) for _ in range(3)]

    assert [r.json() for r in responses] == [{"data": {"deals": {"totalCount": 0}}}] * 3
    assert [r.headers["X-RateLimit-Limit"] for r in responses] == ["6"] * 3
    assert [r.headers["X-RateLimit-Remaining"] for r in responses] == ["2", "1", "0"]
    resets = [int(r.headers["X-RateLimit-Reset"]) for r in responses]
    assert all(before < reset <= before + 60 for reset in resets)


def test_burst_over_the_limit_is_refused_with_429_before_any_subgraph_runs(
    stack: Stack, tenant: str, routers: dict[str, str]
) -> None:
    token = stack.token(tenant)
    for _ in range(3):
        assert post(stack, routers["limited"], DEALS, token).status_code == 200

    with stack.counting_statements() as statements:
        response = post(stack, routers["limited"], DEALS, token, origin="http://localhost:3000")

    assert statements[0] == 0
    error = refused_body(response)
    retry = int(response.headers["Retry-After"])
    assert 1 <= retry <= 10
    assert error == {
        "code": "RATE_LIMIT_EXCEEDED",
        "message": f"Rate limit exceeded. Try again in {retry} seconds.",
        "details": {"limit": 6, "window": "1 minute", "retry_after": retry},
    }
    assert response.headers["X-RateLimit-Limit"] == "6"
    assert response.headers["X-RateLimit-Remaining"] == "0"
    assert int(response.headers["X-RateLimit-Reset"]) >= int(time.time())
    exposed = response.headers["Access-Control-Expose-Headers"].lower()
    assert all(h.lower() in exposed for h in (*HEADERS, "Retry-After"))
    log = (stack.workdir / "limited.log").read_text()
    events = [json.loads(line) for line in log.splitlines() if "rate_limit_exceeded" in line]
    assert {"bucket": f"user:{tenant}:dev:{tenant}", "tier": "authenticated_user"}.items() <= (
        events[-1].items()
    )
    assert events[-1]["request_id"]


def test_two_users_do_not_share_a_bucket(
    stack: Stack, tenant: str, routers: dict[str, str]
) -> None:
    ada = stack.token(tenant, user_id="ada")
    bob = stack.token(tenant, user_id="bob")
    for _ in range(3):
        post(stack, routers["limited"], DEALS, ada)
    assert post(stack, routers["limited"], DEALS, ada).status_code == 429

    response = post(stack, routers["limited"], DEALS, bob)

    assert response.status_code == 200
    assert response.headers["X-RateLimit-Remaining"] == "2"


def test_premium_api_key_gets_the_premium_limits(
    stack: Stack, tenant: str, routers: dict[str, str]
) -> None:
    body = stack.graphql(
        CREATE_KEY,
        {"input": {"name": "BI", "permissions": ["deals:read"],
                   "rateLimitTier": "premium_integration"}},
        tenant=tenant,
    ).json()  # fmt: skip
    created = body["data"]["createApiKey"]
    key = {"x-api-key": created["apiKey"]["key"], "x-api-secret": created["secret"]}

    responses = [post(stack, routers["limited"], DEALS, **key) for _ in range(7)]

    assert [r.status_code for r in responses] == [200] * 6 + [429]
    assert responses[0].json() == {"data": {"deals": {"totalCount": 0}}}
    assert responses[0].headers["X-RateLimit-Limit"] == "12"
    assert responses[0].headers["X-RateLimit-Remaining"] == "5"


def test_search_contacts_has_its_own_limit_while_other_queries_pass(
    stack: Stack, tenant: str, routers: dict[str, str]
) -> None:
    token = stack.token(tenant, rate_limit_tier="api_integration")
    url = routers["limited"]

    searches = [post(stack, url, SEARCH, token) for _ in range(2)]
    with stack.counting_statements() as statements:
        refused = post(stack, url, SEARCH, token)
    others = [post(stack, url, DEALS, token) for _ in range(3)]

    assert [r.json() for r in searches] == [{"data": {"searchContacts": []}}] * 2
    assert statements[0] == 0
    assert refused_body(refused)["details"] == {
        "limit": 2,
        "window": "1 minute",
        "operation": "searchContacts",
        "retry_after": int(refused.headers["Retry-After"]),
    }
    assert 25 <= int(refused.headers["Retry-After"]) <= 30
    assert [r.status_code for r in others] == [200] * 3
    assert others[0].headers["X-RateLimit-Limit"] == "600"
    # Named in a fragment, it still counts.
    fragment = 'query { ...F } fragment F on Query { searchContacts(query: "x") { id } }'
    assert post(stack, url, fragment, token).status_code == 429


def test_counters_live_in_redis_and_a_second_router_shares_them(
    stack: Stack, tenant: str, routers: dict[str, str]
) -> None:
    token = stack.token(tenant)

    first = post(stack, routers["limited"], DEALS, token)
    second = post(stack, routers["limited-twin"], DEALS, token)
    third = post(stack, routers["limited"], DEALS, token)
    fourth = post(stack, routers["limited-twin"], DEALS, token)

    assert [r.headers.get("X-RateLimit-Remaining") for r in (first, second, third)] == [
        "2", "1", "0",
    ]  # fmt: skip
    assert fourth.status_code == 429
    client = redis.Redis.from_url(os.environ["REDIS_URL"])
    try:
        keys = {k.decode() for k in client.scan_iter(f"crmgraph:rl:{{user:{tenant}:*")}
        assert keys == {
            f"crmgraph:rl:{{user:{tenant}:dev:{tenant}}}:{part}" for part in ("b", "h", "d")
        }
        assert all(cast(int, client.pttl(k)) > 0 for k in keys)
        assert client.get(f"crmgraph:rl:{{user:{tenant}:dev:{tenant}}}:h") == b"3"
    finally:
        client.close()


def test_requests_pass_without_limits_when_redis_is_down(
    stack: Stack, tenant: str, routers: dict[str, str]
) -> None:
    token = stack.token(tenant)

    responses = [post(stack, routers["no-redis"], DEALS, token) for _ in range(5)]

    assert [r.json() for r in responses] == [{"data": {"deals": {"totalCount": 0}}}] * 5
    assert "X-RateLimit-Limit" not in responses[0].headers
    log = (stack.workdir / "no-redis.log").read_text()
    # Said once (a minute), by Hive Gateway's limiter or by Hive Router's rate-limit plugin.
    assert log.count("Redis did not answer; requests pass without rate limits") == 1


# The REST shim: the same middleware in a second server with the small limits.


@pytest.fixture(scope="module")
def limited_rest(stack: Stack) -> Iterator[str]:
    with serve_rest(stack, LIMITS) as url:
        yield url


@contextmanager
def serve_rest(stack: Stack, limits: dict[str, Any]) -> Iterator[str]:
    """A REST shim of the stack's, on the stack's Redis, with CRMGRAPH_RATE_LIMITS = limits."""
    settings = stack.runtime.settings.model_copy(
        update={"rate_limits": json.dumps(limits), "rate_limits_enabled": True}
    )
    app = create_rest_app(dataclasses.replace(stack.runtime, settings=settings))
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="off", log_level="warning")
    )
    serving = asyncio.run_coroutine_threadsafe(server.serve(), stack._loop)
    _wait(lambda: server.started, "limited REST shim")
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    serving.result(timeout=10)


def test_rest_shim_refuses_over_the_limit_with_the_same_body(
    stack: Stack, tenant: str, limited_rest: str
) -> None:
    headers = {"authorization": f"Bearer {stack.token(tenant)}"}
    body = {"name": "Sync", "permissions": ["deals:read"]}

    created = [httpx.post(f"{limited_rest}/api-keys", json=body, headers=headers) for _ in range(3)]
    with stack.counting_statements() as statements:
        response = httpx.post(f"{limited_rest}/api-keys", json=body, headers=headers)

    assert [r.status_code for r in created] == [201] * 3
    assert [r.headers["X-RateLimit-Remaining"] for r in created] == ["2", "1", "0"]
    assert created[0].headers["X-RateLimit-Limit"] == "6"
    assert statements[0] == 0
    retry = int(response.headers["Retry-After"])
    assert refused_body(response)["details"] == {
        "limit": 6,
        "window": "1 minute",
        "retry_after": retry,
    }
    assert response.headers["X-RateLimit-Remaining"] == "0"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    health = httpx.get(f"{limited_rest}/health")
    assert health.status_code == 200
    assert "X-RateLimit-Limit" not in health.headers


def test_rest_shim_and_router_count_the_same_caller_together(
    stack: Stack, tenant: str, routers: dict[str, str], limited_rest: str
) -> None:
    token = stack.token(tenant)
    post(stack, routers["limited"], DEALS, token)
    post(stack, routers["limited-twin"], DEALS, token)

    response = httpx.post(
        f"{limited_rest}/api-keys",
        json={"name": "Sync"},
        headers={"authorization": f"Bearer {token}"},
    )

    assert response.status_code == 201
    assert response.headers["X-RateLimit-Remaining"] == "0"
