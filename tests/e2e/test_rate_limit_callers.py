"""Whom the router's rate limits count: every operation on every transport (HTTP and
graphql-ws) against one bucket, buckets only of verified identities (the REST shim says which),
forged credentials refused before they touch any bucket, and anonymous callers per address.
The REST shim's own limiter: test_rest_rate_limit_callers.py."""

from __future__ import annotations

import asyncio
import json
import os
import random
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import jwt
import pytest
import redis
import uvicorn

from crmgraph.rest.app import create_rest_app
from tests.e2e.graphql_ws import connect
from tests.e2e.test_rate_limits import DEALS, LIMITS, post, start_router, wait_ready
from tests.ports import free_port
from tests.routers import NATIVE
from tests.stack import Stack, _wait

CREATE_ACCOUNT = 'mutation { createAccount(input: {name: "Counted"}) { account { id } } }'
DEAL_UPDATES = "subscription { dealUpdated { id } }"
CREATE_KEY = """mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) {
  apiKey { key } secret } }"""


@pytest.fixture(scope="module")
def router(stack: Stack) -> Iterator[str]:
    """One router with the tiny limits, asking the stack's REST shim who each caller is."""
    port = free_port()
    started = start_router(stack, port, "callers", CRMGRAPH_RATE_LIMITS=json.dumps(LIMITS))
    try:
        wait_ready(stack, started, port, "callers")
        yield f"http://127.0.0.1:{port}/graphql"
    finally:
        started.stop()


def ws(url: str) -> str:
    return url.replace("http://", "ws://")


def source_address() -> str:
    """A loopback address of this test's own: its client-address bucket is fresh."""
    return f"127.{random.randint(1, 254)}.{random.randint(1, 254)}.{random.randint(2, 254)}"


def forged(stack: Stack, tenant: str, subject: str, **claims: Any) -> str:
    """The victim's claims, signed with a key the stack does not trust."""
    valid = jwt.decode(stack.token(tenant, user_id=subject), options={"verify_signature": False})
    return jwt.encode({**valid, **claims}, "not-the-key-" + uuid.uuid4().hex, algorithm="HS256")


async def ws_operations(
    url: str, queries: list[str], *, params: dict[str, Any] | None = None,
    source: str | None = None,
) -> list[dict[str, Any]]:  # fmt: skip
    """The first message each operation gets back, sent one after the other on one socket."""
    answers = []
    async with connect(ws(url), params=params, source=source) as socket:
        for query in queries:
            id_ = await socket.subscribe(query)
            message = await asyncio.wait_for(socket.receive(), 15)
            while message.get("id") != id_:  # the previous operation's `complete`
                message = await asyncio.wait_for(socket.receive(), 15)
            answers.append(message)
    return answers


def requests_to_subgraphs(stack: Stack) -> int:
    return sum(stack.requests.values())


def rate_limited(message: dict[str, Any]) -> int:
    """retry_after of a graphql-ws answer that is the RATE_LIMIT_EXCEEDED error, else fails."""
    assert message["type"] == "next", message
    [error] = message["payload"]["errors"]
    retry = error["extensions"]["retry_after"]
    assert error == {
        "message": f"Rate limit exceeded. Try again in {retry} seconds.",
        "extensions": {"code": "RATE_LIMIT_EXCEEDED", "retry_after": retry},
    }
    assert isinstance(retry, int) and 1 <= retry <= 10
    return retry


def test_websocket_queries_and_mutations_use_the_http_bucket(
    stack: Stack, tenant: str, router: str
) -> None:
    token = stack.token(tenant)

    answers = asyncio.run(ws_operations(
        router, [DEALS, CREATE_ACCOUNT], params={"authorization": f"Bearer {token}"}
    ))  # fmt: skip
    third = post(stack, router, DEALS, token)
    fourth = post(stack, router, DEALS, token)

    assert [a["type"] for a in answers] == ["next", "next"]
    assert answers[0]["payload"] == {"data": {"deals": {"totalCount": 0}}}
    # The gateway runs no mutation that came over WebSocket (the upgrade was a GET); it
    # still counts as an operation.
    # Hive Router runs it (counted all the same).
    if NATIVE:
        assert "createAccount" in answers[1]["payload"]["data"]
    else:
        assert answers[1]["payload"]["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
    assert third.status_code == 200
    assert third.headers["X-RateLimit-Remaining"] == "0"
    assert fourth.status_code == 429


def test_a_subscription_counts_once_when_it_starts(stack: Stack, tenant: str, router: str) -> None:
    token = stack.token(tenant)

    async def subscribed_then_http() -> tuple[httpx.Response, httpx.Response]:
        params = {"authorization": f"Bearer {token}"}
        async with connect(ws(router), params=params) as socket:
            await socket.subscribe(DEAL_UPDATES)
            # A query after it on the same socket: its answer means the subscription's
            # `subscribe` message was handled (and counted) before.
            await socket.subscribe(DEALS)
            assert (await asyncio.wait_for(socket.receive(), 15))["type"] == "next"
            return post(stack, router, DEALS, token), post(stack, router, DEALS, token)

    third, fourth = asyncio.run(subscribed_then_http())

    assert third.headers["X-RateLimit-Remaining"] == "0"
    assert fourth.status_code == 429


def test_http_requests_exhaust_the_bucket_for_websocket_operations(
    stack: Stack, tenant: str, router: str
) -> None:
    token = stack.token(tenant)
    for _ in range(3):
        assert post(stack, router, DEALS, token).status_code == 200
    before = requests_to_subgraphs(stack)

    # Upgrade headers count as well as connectionParams (as for the subgraphs).
    answers = asyncio.run(ws_operations(router, [DEALS, CREATE_ACCOUNT, DEAL_UPDATES],
                                        params={"Authorization": f"Bearer {token}"}))  # fmt: skip

    for answer in answers:
        rate_limited(answer)
    assert requests_to_subgraphs(stack) == before
    accounts = stack.graphql("{ accounts { totalCount } }", tenant=tenant).json()
    assert accounts == {"data": {"accounts": {"totalCount": 0}}}


def test_a_forged_token_naming_a_victim_is_refused_and_costs_the_victim_nothing(
    stack: Stack, tenant: str, router: str, caplog: pytest.LogCaptureFixture
) -> None:
    victim = stack.token(tenant, user_id="victim")
    first = post(stack, router, DEALS, victim)
    before = requests_to_subgraphs(stack)
    # The victim's tenant and subject, and a tier of the forger's choosing.
    fake = forged(stack, tenant, "victim", rate_limit_tier="premium_integration")
    caplog.clear()

    refusals = [post(stack, router, DEALS, fake) for _ in range(4)]
    as_fake = {"authorization": f"Bearer {fake}"}
    over_ws = asyncio.run(ws_operations(router, [DEALS], params=as_fake))
    reached = requests_to_subgraphs(stack) - before
    second = post(stack, router, DEALS, victim)

    assert [r.status_code for r in refusals] == [401] * 4
    assert refusals[0].json() == {"errors": [{
        "message": "invalid token: Signature verification failed",
        "extensions": {"code": "UNAUTHENTICATED"},
    }]}  # fmt: skip
    assert refusals[0].headers["WWW-Authenticate"] == "Bearer"
    assert "X-RateLimit-Remaining" not in refusals[0].headers
    assert over_ws[0]["payload"]["errors"][0]["extensions"] == {"code": "UNAUTHENTICATED"}
    assert reached == 0
    assert first.headers["X-RateLimit-Remaining"] == "2"
    assert second.headers["X-RateLimit-Remaining"] == "1"
    assert second.headers["X-RateLimit-Limit"] == "6"
    # The shim verified the forged token once: the router keeps its answer for a while.
    failures = [r for r in caplog.records if "authentication_failed" in r.getMessage()]
    assert len(failures) == 1


def create_key(stack: Stack, tenant: str, tier: str = "api_integration") -> dict[str, str]:
    body = stack.graphql(
        CREATE_KEY,
        {"input": {"name": "Sync", "permissions": ["deals:read"], "rateLimitTier": tier}},
        tenant=tenant,
    ).json()
    created = body["data"]["createApiKey"]
    return {"x-api-key": created["apiKey"]["key"], "x-api-secret": created["secret"]}


def test_an_api_key_with_a_wrong_secret_is_refused_and_costs_the_key_nothing(
    stack: Stack, tenant: str, router: str
) -> None:
    key = create_key(stack, tenant, "premium_integration")
    first = post(stack, router, DEALS, **key)
    wrong = {**key, "x-api-secret": "not-the-secret"}

    refusals = [post(stack, router, DEALS, **wrong) for _ in range(3)]
    second = post(stack, router, DEALS, **key)

    assert [r.status_code for r in refusals] == [401] * 3
    assert refusals[0].json()["errors"][0] == {
        "message": "invalid API key",
        "extensions": {"code": "UNAUTHENTICATED"},
    }
    assert (first.headers["X-RateLimit-Limit"], first.headers["X-RateLimit-Remaining"]) == (
        "12", "5",
    )  # fmt: skip
    assert second.headers["X-RateLimit-Remaining"] == "4"


def test_requests_without_credentials_share_one_bucket_per_client_address(
    stack: Stack, router: str
) -> None:
    address, other = source_address(), source_address()

    def anonymous(source: str) -> httpx.Response:
        transport = httpx.HTTPTransport(local_address=source)
        with httpx.Client(transport=transport, timeout=30) as client:
            return client.post(router, json={"query": DEALS})

    http = [anonymous(address) for _ in range(2)]
    [over_ws] = asyncio.run(ws_operations(router, [DEALS], source=address))
    refused = anonymous(address)
    elsewhere = anonymous(other)

    assert [r.headers["X-RateLimit-Remaining"] for r in http] == ["2", "1"]
    assert over_ws["payload"]["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert refused.status_code == 429
    assert elsewhere.headers["X-RateLimit-Remaining"] == "2"


def test_while_the_rest_shim_is_down_callers_are_counted_by_address(
    stack: Stack, tenant: str
) -> None:
    """The router's identity source is killed; the router falls back to client addresses."""
    port = free_port()
    config = uvicorn.Config(
        create_rest_app(stack.runtime), host="127.0.0.1", port=port, lifespan="off",
        log_level="warning",
    )  # fmt: skip
    server = uvicorn.Server(config)
    serving = asyncio.run_coroutine_threadsafe(server.serve(), stack._loop)
    _wait(lambda: server.started, "REST shim for the router")
    router_port = free_port()
    started = start_router(
        stack, router_port, "auth-down", CRMGRAPH_RATE_LIMITS=json.dumps(LIMITS),
        CRMGRAPH_AUTH_URL=f"http://127.0.0.1:{port}/internal/introspect",
    )  # fmt: skip
    client = redis.Redis.from_url(os.environ["REDIS_URL"])
    try:
        wait_ready(stack, started, router_port, "auth-down")
        url = f"http://127.0.0.1:{router_port}/graphql"
        address = source_address()
        transport = httpx.HTTPTransport(local_address=address)
        with httpx.Client(transport=transport, timeout=30) as http:

            def ask(user: str) -> httpx.Response:
                token = stack.token(tenant, user_id=user)
                return http.post(url, json={"query": DEALS},
                                 headers={"authorization": f"Bearer {token}"})  # fmt: skip

            up = ask("ada")
            server.should_exit = True
            serving.result(timeout=10)
            down = [ask("bob"), ask("carol")]

        assert up.headers["X-RateLimit-Remaining"] == "2"
        assert client.get(f"crmgraph:rl:{{user:{tenant}:ada}}:h") == b"1"
        assert [r.json() for r in down] == [{"data": {"deals": {"totalCount": 0}}}] * 2
        assert [r.headers["X-RateLimit-Remaining"] for r in down] == ["2", "1"]
        assert client.get(f"crmgraph:rl:{{ip:{address}}}:h") == b"2"
        assert not list(client.scan_iter(f"crmgraph:rl:{{user:{tenant}:bob}}:*"))
        log = (stack.workdir / "auth-down.log").read_text()
        assert log.count('"event":"auth_unavailable"') == 1
    finally:
        client.close()
        started.stop()
        server.should_exit = True
