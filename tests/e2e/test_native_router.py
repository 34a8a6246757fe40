"""Hive Router, the native (Rust) router, in front of the stack's subgraphs: queries, errors
and a subscription over graphql-ws and over SSE through it, and the subgraphs' side of its
WebSocket (a bare upgrade, the router's headers in the connection_init payload)."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets
from redis.asyncio import Redis

from crmgraph import native_router
from crmgraph.events.bus import channel_for
from tests.e2e.graphql_ws import PROTOCOL, GraphQLWebSocket, connect
from tests.e2e.test_api_keys import codes, create_key
from tests.e2e.test_security_headers import HEADERS as SECURITY_HEADERS
from tests.e2e.test_subscriptions import (
    MOVE,
    STAGE_CHANGED,
    STAGE_CHANGES,
    bearer,
    make_deal,
    next_event,
    subscribed,
)
from tests.ports import free_port
from tests.stack import Stack, _wait, stop_process

DEAL = "query($id: ID!) { deal(id: $id) { id title stage contact { fullName } } }"


@pytest.fixture(scope="module")
def native(stack: Stack) -> Iterator[str]:
    """A Hive Router on the stack's supergraph and subgraphs (whichever router the stack runs)."""
    binary = native_router.binary()
    assert binary.exists(), f"{binary} is missing: run `make hive-router` once"
    port = free_port()
    config = stack.workdir / "native-router.json"
    env = {**os.environ, **stack._router_env(), "ROUTER_CONFIG_FILE_PATH": str(config)}
    supergraph = stack.workdir / "supergraph.graphql"
    native_router.write_config(env, supergraph=supergraph, port=port, out=config)
    log_path = stack.workdir / "native-router.log"
    with log_path.open("wb") as log:
        router = subprocess.Popen([str(binary)], env=env, stdout=log, stderr=subprocess.STDOUT)

    with closing(router):
        _wait(lambda: _healthy(router, port, log_path), "hive router", timeout=120)
        yield f"http://127.0.0.1:{port}/graphql"


@contextmanager
def closing(router: subprocess.Popen[bytes]) -> Iterator[None]:
    try:
        yield
    finally:
        stop_process(router)


def _healthy(router: subprocess.Popen[bytes], port: int, log: Path) -> bool:
    """Hive Router answers GET /health once it serves; its log when it exited instead."""
    if router.poll() is not None:
        raise RuntimeError(log.read_text()[-2000:])
    with suppress(httpx.HTTPError):
        return httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).is_success
    return False


async def _connection_init(
    stack: Stack, payload: dict[str, Any] | None, protocols: tuple[str, ...] = (PROTOCOL,)
) -> dict[str, Any]:
    """What a subgraph answers to a bare upgrade and then connection_init with payload."""
    url = stack.subgraph_url("deals").replace("http://", "ws://")
    async with websockets.connect(url, subprotocols=list(protocols)) as socket:  # type: ignore[arg-type]
        client = GraphQLWebSocket(socket)
        try:
            await client.send({"type": "connection_init", "payload": payload})
            return await asyncio.wait_for(client.receive(), 10)
        except websockets.ConnectionClosed as closed:
            return {"closed": closed.rcvd.code if closed.rcvd else None}


async def test_a_subgraph_takes_the_router_secret_from_the_connection_init_payload(
    stack: Stack, tenant: str
) -> None:
    # Hive Router's upgrade carries no headers: they come as the connection_init payload.
    headers = {**bearer(stack, tenant), "x-router-secret": stack.router_secret}
    assert (await _connection_init(stack, headers))["type"] == "connection_ack"


@pytest.mark.parametrize("secret", [None, "wrong-" * 8])
async def test_a_bare_upgrade_without_the_router_secret_in_its_payload_is_closed(
    stack: Stack, tenant: str, secret: str | None
) -> None:
    payload = bearer(stack, tenant) | ({"x-router-secret": secret} if secret else {})
    assert await _connection_init(stack, payload) == {"closed": 4403}
    assert await _connection_init(stack, None) == {"closed": 4403}


async def test_a_bare_upgrade_gets_only_the_protocol_whose_payload_is_checked(
    stack: Stack, tenant: str
) -> None:
    # The legacy graphql-ws protocol would run its connection_init without our check.
    answer = await _connection_init(stack, bearer(stack, tenant), protocols=("graphql-ws",))
    assert answer == {"closed": 4406}  # Strawberry's "Subprotocol not acceptable"


def test_a_query_through_the_native_router_answers_as_the_stack_does(
    stack: Stack, tenant: str, native: str
) -> None:
    ids = make_deal(stack, tenant)
    through = stack.graphql(DEAL, {"id": ids["deal"]}, tenant=tenant, url=native)
    assert through.status_code == 200
    assert through.json() == stack.graphql(DEAL, {"id": ids["deal"]}, tenant=tenant).json()
    assert through.json()["data"]["deal"]["contact"] == {"fullName": "Ada Byron"}


def test_subgraph_errors_pass_the_native_router_unchanged(
    stack: Stack, tenant: str, native: str
) -> None:
    rep = {"authorization": f"Bearer {stack.token(tenant, roles=('support_agent',))}"}
    query = 'mutation { deleteDeal(id: "00000000-0000-0000-0000-000000000000") { deleted } }'
    through: dict[str, Any] = stack.graphql(query, url=native, headers=rep).json()
    assert through == stack.graphql(query, headers=rep).json()
    # A subgraph's `locations` would point into the router's query, not the client's document
    # (`mutation{deleteDeal` column 10): the subgraphs leave them out (gql/errors.py).
    assert all("locations" not in error for error in through["errors"])
    assert [e["extensions"]["code"] for e in through["errors"]] == ["FORBIDDEN"]
    anonymous: dict[str, Any] = stack.graphql("{ deals { totalCount } }", url=native).json()
    assert [e["extensions"]["code"] for e in anonymous["errors"]] == ["UNAUTHENTICATED"]


async def test_a_deal_stage_change_arrives_through_the_native_router(
    stack: Stack, tenant: str, native: str
) -> None:
    ids = make_deal(stack, tenant)
    async with connect(native.replace("http://", "ws://"), params=bearer(stack, tenant)) as client:
        id_ = await subscribed(stack, client, STAGE_CHANGES, tenant=tenant, topics=STAGE_CHANGED,
                               pipelineId=ids["pipeline"])  # fmt: skip
        moved = stack.graphql(MOVE, {"deal": ids["deal"], "stage": ids["Proposal"]},
                              tenant=tenant, url=native)  # fmt: skip
        assert "errors" not in moved.json(), moved.json()
        event = await next_event(client, id_, within=5)
    change = event["data"]["dealStageChanged"]
    assert change["deal"] == {"title": "Big deal", "contact": {"fullName": "Ada Byron"}}
    assert change["reason"] == "budget approved"
    assert json.dumps(event).count("errors") == 0


def test_an_allow_listed_key_is_judged_by_the_clients_address_through_the_native_router(
    stack: Stack, tenant: str, native: str
) -> None:
    # Allowed from the router's own address: a subgraph that took the router's address for its
    # client's would let a caller connecting from 127.0.0.2 through. The router's
    # crmgraph_client_address plugin sends the client's address on (X-Forwarded-For).
    created = create_key(stack, tenant, permissions=["deals:read"], ipWhitelist=["127.0.0.1"])
    headers = {"x-api-key": created["apiKey"]["key"], "x-api-secret": created["secret"]}
    query = {"query": "{ deals { totalCount } }"}

    with httpx.Client(transport=httpx.HTTPTransport(local_address="127.0.0.2")) as client:
        elsewhere = client.post(native, json=query, headers=headers)
        # A client's own X-Forwarded-For proves nothing: the router appends the real address.
        forged = client.post(
            native, json=query, headers={**headers, "x-forwarded-for": "127.0.0.1"}
        )
    with httpx.Client(transport=httpx.HTTPTransport(local_address="127.0.0.1")) as client:
        listed = client.post(native, json=query, headers=headers)

    assert codes(elsewhere.json()) == ["UNAUTHENTICATED"]
    assert "not allowed from 127.0.0.2" in elsewhere.json()["errors"][0]["message"]
    assert codes(forged.json()) == ["UNAUTHENTICATED"]
    assert "errors" not in listed.json(), listed.json()


async def test_a_deal_stage_change_arrives_over_sse_through_the_native_router(
    stack: Stack, tenant: str, native: str
) -> None:
    ids = make_deal(stack, tenant)
    body = {"query": STAGE_CHANGES, "variables": {"pipelineId": ids["pipeline"]}}
    headers = {**bearer(stack, tenant), "accept": "text/event-stream"}
    async with (
        httpx.AsyncClient(timeout=30) as client,
        client.stream("POST", native, json=body, headers=headers) as response,
    ):
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        lines = response.aiter_lines()
        await _until_subscribed(stack, tenant)
        moved = stack.graphql(MOVE, {"deal": ids["deal"], "stage": ids["Proposal"]},
                              tenant=tenant, url=native)  # fmt: skip
        assert "errors" not in moved.json(), moved.json()
        async with asyncio.timeout(10):
            async for line in lines:
                if line.startswith("data:"):
                    event = json.loads(line.removeprefix("data:"))
                    break
    change = event["data"]["dealStageChanged"]
    assert change["deal"] == {"title": "Big deal", "contact": {"fullName": "Ada Byron"}}
    assert change["reason"] == "budget approved"


async def _until_subscribed(stack: Stack, tenant: str) -> None:
    """Redis counts a subscriber on the tenant's stage-change channel (test_subscriptions)."""
    channel = channel_for(tenant, STAGE_CHANGED[0])
    redis = Redis.from_url(stack.settings.redis_url)
    try:
        async with asyncio.timeout(10):
            while not (await redis.pubsub_numsub(channel))[0][1]:  # noqa: ASYNC110
                await asyncio.sleep(0.02)
    finally:
        await redis.aclose()


def test_graphiql_answers_a_browser_on_get_graphql(native: str) -> None:
    with httpx.stream("GET", native, headers={"accept": "text/html"}, timeout=30) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/html")
        page = b"".join(response.iter_bytes()).decode(errors="replace")
    assert "<html" in page.lower()


def test_prometheus_metrics_count_the_routers_requests(
    stack: Stack, tenant: str, native: str
) -> None:
    stack.graphql("{ __typename }", tenant=tenant, url=native)
    metrics = httpx.get(native.removesuffix("/graphql") + "/metrics", timeout=10)
    assert metrics.status_code == 200
    assert metrics.headers["content-type"].startswith("text/plain")
    assert "# TYPE http_server_request_duration" in metrics.text, metrics.text[:2000]


def test_graphql_responses_carry_the_security_headers(
    stack: Stack, tenant: str, native: str
) -> None:
    response = stack.graphql("{ __typename }", tenant=tenant, url=native)
    assert {k: response.headers.get(k) for k in SECURITY_HEADERS} == SECURITY_HEADERS
