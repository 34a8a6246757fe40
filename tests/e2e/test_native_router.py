"""Hive Router, the native (Rust) router, in front of the stack's subgraphs: queries, errors
and a subscription over graphql-ws through it, and the subgraphs' side of its WebSocket (a
connection_init whose payload is null, which graphql-transport-ws allows)."""

from __future__ import annotations

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

from crmgraph import native_router
from tests.e2e.graphql_ws import PROTOCOL, GraphQLWebSocket, connect
from tests.e2e.test_api_keys import codes, create_key
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
from tests.stack import Stack, _wait

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
        router.terminate()
        router.wait(timeout=10)


def _healthy(router: subprocess.Popen[bytes], port: int, log: Path) -> bool:
    """Hive Router answers GET /health once it serves; its log when it exited instead."""
    if router.poll() is not None:
        raise RuntimeError(log.read_text()[-2000:])
    with suppress(httpx.HTTPError):
        return httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).is_success
    return False


async def test_a_subgraph_acknowledges_a_connection_init_with_a_null_payload(
    stack: Stack, tenant: str
) -> None:
    # Hive Router sends `"payload": null` and the credentials on the upgrade request.
    url = stack.subgraph_url("deals").replace("http://", "ws://")
    headers = {**bearer(stack, tenant), "x-router-secret": stack.router_secret}
    async with websockets.connect(url, subprotocols=[PROTOCOL],  # type: ignore[list-item]
                                  additional_headers=headers) as socket:  # fmt: skip
        client = GraphQLWebSocket(socket)
        await client.send({"type": "connection_init", "payload": None})
        assert (await client.receive())["type"] == "connection_ack"


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


def test_an_allow_listed_key_is_refused_through_the_native_router_from_elsewhere(
    stack: Stack, tenant: str, native: str
) -> None:
    # Allowed from the router's own address: a subgraph that took the router's address for its
    # client's would let a caller connecting from 127.0.0.2 through.
    created = create_key(stack, tenant, permissions=["deals:read"], ipWhitelist=["127.0.0.1"])
    headers = {"x-api-key": created["apiKey"]["key"], "x-api-secret": created["secret"]}

    with httpx.Client(transport=httpx.HTTPTransport(local_address="127.0.0.2")) as client:
        body = client.post(native, json={"query": "{ deals { totalCount } }"}, headers=headers)

    assert codes(body.json()) == ["UNAUTHENTICATED"]
    assert "not allowed from None" in body.json()["errors"][0]["message"]
