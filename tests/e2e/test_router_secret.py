"""Subgraphs answer only the router: every request (HTTP and WebSocket) must carry the router's
secret (x-router-secret), and only such a request's X-Forwarded-For is believed."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import uvicorn
import websockets
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket

from subgraphs.registry import NAMES
from tests.e2e.graphql_ws import PROTOCOL, connect
from tests.ports import free_port
from tests.routers import extra_router, per_router
from tests.stack import ROUTER, Stack

DEALS = "{ deals { totalCount } }"
CREATE_KEY = """mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) {
  apiKey { key } secret } }"""
REFUSED = {
    "errors": [
        {
            "message": "subgraphs answer only the router: send the request through the router",
            "extensions": {"code": "UNAUTHENTICATED"},
        }
    ]
}


def direct(stack: Stack, name: str, tenant: str, **headers: str) -> httpx.Response:
    """A request straight to a subgraph with a valid token, as a local process could send."""
    return stack.graphql("{ __typename }", tenant=tenant, url=stack.subgraph_url(name),
                         headers=headers)  # fmt: skip


@pytest.mark.parametrize("name", NAMES)
def test_a_subgraph_refuses_a_request_without_the_router_secret(
    stack: Stack, tenant: str, name: str
) -> None:
    response = direct(stack, name, tenant)

    assert response.status_code == 401, response.text
    assert response.json() == REFUSED


def test_a_wrong_router_secret_is_refused(stack: Stack, tenant: str) -> None:
    almost = stack.router_secret[:-1] + ("x" if stack.router_secret[-1] != "x" else "y")

    for sent in (almost, "", stack.router_secret + "x", stack.router_secret.upper()):
        response = direct(stack, "deals", tenant, **{"x-router-secret": sent})
        assert (response.status_code, response.json()) == (401, REFUSED), sent


def test_the_router_secret_opens_the_subgraph_and_health_stays_open(
    stack: Stack, tenant: str
) -> None:
    response = direct(stack, "deals", tenant, **{"x-router-secret": stack.router_secret})
    health = httpx.get(stack.subgraph_url("deals").replace("/graphql", "/health"))

    assert response.json() == {"data": {"__typename": "Query"}}
    assert (health.status_code, health.json()["status"]) == (200, "ok")
    assert stack.graphql(DEALS, tenant=tenant).json() == {"data": {"deals": {"totalCount": 0}}}


def key_allowed_from(stack: Stack, tenant: str, address: str) -> dict[str, str]:
    body = stack.graphql(
        CREATE_KEY,
        {"input": {"name": "k", "permissions": ["deals:read"], "ipWhitelist": [address]}},
        tenant=tenant,
    ).json()
    assert body.get("errors") is None, body
    created = body["data"]["createApiKey"]
    return {"x-api-key": created["apiKey"]["key"], "x-api-secret": created["secret"]}


def test_a_local_process_cannot_pass_for_another_address(stack: Stack, tenant: str) -> None:
    """An API key allowed only from 10.9.9.9: a loopback process that writes that address in
    X-Forwarded-For straight to the subgraph (no router secret) gets nothing."""
    key = key_allowed_from(stack, tenant, "10.9.9.9")
    forged = {**key, "x-forwarded-for": "10.9.9.9"}
    url = stack.subgraph_url("deals")

    without = stack.graphql(DEALS, url=url, headers=forged)
    wrong = stack.graphql(DEALS, url=url, headers={**forged, "x-router-secret": "guess"})
    through_router = stack.graphql(DEALS, headers=forged).json()

    assert (without.status_code, without.json()) == (401, REFUSED)
    assert (wrong.status_code, wrong.json()) == (401, REFUSED)
    assert [e["extensions"]["code"] for e in through_router["errors"]] == ["UNAUTHENTICATED"]
    # The router's own hop is believed: a key allowed from the client's address works.
    here = key_allowed_from(stack, tenant, "127.0.0.1")
    assert stack.graphql(DEALS, headers=here).json() == {"data": {"deals": {"totalCount": 0}}}


async def test_a_direct_websocket_without_the_router_secret_is_refused(
    stack: Stack, tenant: str
) -> None:
    url = stack.subgraph_url("deals").replace("http://", "ws://")
    token = {"authorization": f"Bearer {stack.token(tenant)}"}

    guess = {**token, "x-router-secret": "guess"}
    with pytest.raises(websockets.InvalidStatus) as refused:
        async with websockets.connect(url, subprotocols=[PROTOCOL],  # type: ignore[list-item]
                                      additional_headers=guess):  # fmt: skip
            pass
    assert refused.value.response.status_code == 401
    assert json.loads(refused.value.response.body or b"{}") == REFUSED
    # An upgrade without the header (Hive Router's) is closed at connection_init without the
    # secret in its payload, before anything runs.
    with pytest.raises(websockets.ConnectionClosed) as closed:
        async with connect(url, params=token):
            pass
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4403
    async with connect(url, headers={**token, "x-router-secret": stack.router_secret}):
        pass  # acknowledged


class Recorder:
    """Stands in for the deals subgraph: keeps the headers the router sends it over HTTP, and
    the upgrade headers and connection_init payload of its WebSocket."""

    def __init__(self) -> None:
        self.http: list[dict[str, str]] = []
        self.ws: list[tuple[dict[str, str], dict[str, Any]]] = []
        self.ws_seen = threading.Event()  # set on the server's own thread and loop
        self.app = Starlette(routes=[Route("/graphql", self._post, methods=["POST"]),
                                     WebSocketRoute("/graphql", self._socket)])  # fmt: skip

    async def _post(self, request: Request) -> JSONResponse:
        self.http.append(dict(request.headers))
        return JSONResponse({"data": {"deals": {"totalCount": 0}}})

    async def _socket(self, socket: WebSocket) -> None:
        await socket.accept(subprotocol=PROTOCOL)
        init = await socket.receive_json()
        self.ws.append((dict(socket.headers), init.get("payload") or {}))
        self.ws_seen.set()
        await socket.close(4403)


@pytest.fixture(scope="module")
def recording_router(stack: Stack) -> Iterator[tuple[str, Recorder]]:
    recorder = Recorder()
    deals_port = free_port()
    server = uvicorn.Server(uvicorn.Config(recorder.app, host="127.0.0.1", port=deals_port,
                                           log_level="warning"))  # fmt: skip
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deals = f"http://127.0.0.1:{deals_port}/graphql"
    env = {**os.environ, **stack._router_env(), "CRMGRAPH_DEALS_URL": deals}
    try:
        with extra_router(stack, env, "recording-router") as url:
            yield url, recorder
    finally:
        server.should_exit = True
        thread.join(timeout=5)


CLIENTS_OWN = {"x-router-secret": "chosen-by-the-client", "x-forwarded-for": "10.9.9.9"}


def test_the_router_sends_its_secret_never_the_clients(
    stack: Stack, tenant: str, recording_router: tuple[str, Recorder]
) -> None:
    url, recorder = recording_router
    recorder.http.clear()

    body = stack.graphql(DEALS, tenant=tenant, url=url, headers=CLIENTS_OWN).json()

    assert body == {"data": {"deals": {"totalCount": 0}}}
    assert len(recorder.http) == 1
    assert recorder.http[0]["x-router-secret"] == stack.router_secret
    assert recorder.http[0]["x-forwarded-for"] == "10.9.9.9, 127.0.0.1"


async def test_the_router_sends_its_secret_on_the_subgraph_websocket(
    stack: Stack, tenant: str, recording_router: tuple[str, Recorder]
) -> None:
    url, recorder = recording_router
    recorder.ws.clear()
    recorder.ws_seen.clear()
    params = {"authorization": f"Bearer {stack.token(tenant)}", **CLIENTS_OWN}

    async with connect(url.replace("http://", "ws://"), params=params, headers=CLIENTS_OWN) as ws:
        await ws.subscribe("subscription { dealUpdated { id } }")
        # The router opens the subgraph socket when the client subscribes.
        assert await asyncio.to_thread(recorder.ws_seen.wait, 10)

    headers, payload = recorder.ws[0]
    # Hive Gateway sends its headers on the upgrade; Hive Router as the connection_init payload.
    sent, other = per_router((headers, payload), (payload, headers))
    assert sent["x-router-secret"] == stack.router_secret
    # Hive Router 0.2.0 runs no plugin hook for a subgraph subscription's socket, so it carries
    # no client address (the subgraph counts the caller as unknown); never the client's own.
    assert sent.get("x-forwarded-for") == per_router("10.9.9.9, 127.0.0.1", None)
    assert "x-router-secret" not in {k.lower() for k in other}


def test_the_router_refuses_to_start_without_a_router_secret(stack: Stack) -> None:
    env: dict[str, Any] = {**os.environ, **stack._subgraph_env()}
    env.pop("CRMGRAPH_ROUTER_SECRET")
    port = str(free_port())
    supergraph = str(stack.workdir / "supergraph.graphql")
    # Hive Router's configuration is written by crmgraph.native_router, which refuses.
    command = per_router(
        [str(ROUTER / "node_modules/.bin/hive-gateway"), "supergraph", supergraph, "--port", port],
        [sys.executable, "-m", "crmgraph.native_router", "--supergraph", supergraph,
         "--port", port, "--out", str(stack.workdir / "refused-router.json")],
    )  # fmt: skip

    for secret in (None, "too-short"):
        if secret is not None:
            env["CRMGRAPH_ROUTER_SECRET"] = secret
        with subprocess.Popen(command, cwd=ROUTER, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT) as router:  # fmt: skip
            try:
                output, _ = router.communicate(timeout=60)
            finally:
                router.kill()
        assert router.returncode != 0
        assert b"CRMGRAPH_ROUTER_SECRET" in output, output[-2000:]


def test_the_rest_shim_believes_no_forwarded_address_by_default(stack: Stack, tenant: str) -> None:
    """The REST shim has no router in front of it: X-Forwarded-For from a local process is
    not believed unless TRUSTED_PROXIES names that peer."""
    key = key_allowed_from(stack, tenant, "10.9.9.9")
    grant = {"grant_type": "client_credentials", "client_id": key["x-api-key"],
             "client_secret": key["x-api-secret"]}  # fmt: skip

    forged = httpx.post(f"{stack.rest_url}/oauth2/token", json=grant,
                        headers={"x-forwarded-for": "10.9.9.9"})  # fmt: skip

    assert forged.status_code == 401, forged.text
    assert forged.json()["errors"][0]["code"] == "UNAUTHORIZED"
