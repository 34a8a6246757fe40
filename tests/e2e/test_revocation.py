"""Revoking an API key, or taking an address off its allow-list, ends what it already opened:
tokens issued from it by /oauth2/token, and open WebSocket subscriptions and SSE streams.
Through the real router and REST shim; each change is polled for, never slept on."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
from sqlalchemy import update

from crmgraph.db import models
from tests.e2e.graphql_ws import connect
from tests.e2e.test_api_keys import DEALS, codes, create_key
from tests.e2e.test_subscriptions import mutate, next_event, subscribed, ws_url
from tests.e2e.test_subscriptions_more import CREATE_TASK, make_user
from tests.e2e.test_subscriptions_sse import feed
from tests.settle import eventually
from tests.stack import Stack

# Requests see a change within CREDENTIAL_CHECK_SECONDS (2 s by default), open subscriptions
# within twice that: allow a margin for a loaded machine.
WITHIN = 10.0
REVOKE = "mutation($id: ID!) { revokeApiKey(id: $id) { apiKey { revokedAt } } }"
NEW_ACTIVITY = "subscription($u: ID!) { newActivity(userId: $u) { ... on Task { title } } }"


def oauth_token(stack: Stack, created: dict[str, Any]) -> str:
    response = httpx.post(
        f"{stack.rest_url}/oauth2/token",
        data={"grant_type": "client_credentials", "client_id": created["apiKey"]["key"],
              "client_secret": created["secret"]},
    )  # fmt: skip
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


def router_post(stack: Stack, headers: dict[str, str], source: str = "127.0.0.1") -> Any:
    transport = httpx.HTTPTransport(local_address=source)
    with httpx.Client(transport=transport, timeout=30) as client:
        return client.post(stack.router_url, json={"query": DEALS}, headers=headers).json()


def refused(body: Any) -> bool:
    return codes(body) == ["UNAUTHENTICATED"]


def set_allow_list(stack: Stack, created: dict[str, Any], allowed: list[str]) -> None:
    """What an admin changing the key's allow-list in the database does."""

    async def run() -> None:
        async with stack.runtime.sessions() as session, session.begin():
            await session.execute(
                update(models.ApiKey)
                .where(models.ApiKey.key == created["apiKey"]["key"])
                .values(ip_allowlist=allowed)
            )

    stack.call(run)


def revoke(stack: Stack, tenant: str, created: dict[str, Any]) -> None:
    body = stack.graphql(REVOKE, {"id": created["apiKey"]["id"]}, tenant=tenant).json()
    assert body["data"]["revokeApiKey"]["apiKey"]["revokedAt"] is not None, body


def test_oauth_token_stops_working_when_its_key_is_revoked(stack: Stack, tenant: str) -> None:
    created = create_key(stack, tenant, permissions=["deals:read"])
    bearer = {"authorization": f"Bearer {oauth_token(stack, created)}"}
    assert router_post(stack, bearer) == {"data": {"deals": {"totalCount": 0}}}

    revoke(stack, tenant, created)
    after = eventually(lambda: router_post(stack, bearer), refused, WITHIN)

    assert refused(after), after
    assert "revoked" in after["errors"][0]["message"]


def test_oauth_token_keeps_to_the_keys_allow_list(stack: Stack, tenant: str) -> None:
    created = create_key(stack, tenant, permissions=["deals:read"], ipWhitelist=["127.0.0.1"])
    bearer = {"authorization": f"Bearer {oauth_token(stack, created)}"}

    assert router_post(stack, bearer) == {"data": {"deals": {"totalCount": 0}}}
    # The token was issued to 127.0.0.1; sent from 127.0.0.2 it must not work.
    assert refused(router_post(stack, bearer, source="127.0.0.2"))

    set_allow_list(stack, created, ["127.0.0.2"])
    after = eventually(lambda: router_post(stack, bearer), refused, WITHIN)

    assert refused(after), after
    assert router_post(stack, bearer, source="127.0.0.2") == {"data": {"deals": {"totalCount": 0}}}


def test_api_key_stops_working_when_the_allow_list_drops_the_address(
    stack: Stack, tenant: str
) -> None:
    created = create_key(stack, tenant, permissions=["deals:read"], ipWhitelist=["127.0.0.1"])
    headers = {"x-api-key": created["apiKey"]["key"], "x-api-secret": created["secret"]}
    assert router_post(stack, headers) == {"data": {"deals": {"totalCount": 0}}}

    set_allow_list(stack, created, ["127.0.0.2"])
    after = eventually(lambda: router_post(stack, headers), refused, WITHIN)

    assert refused(after), after
    assert "not allowed from 127.0.0.1" in after["errors"][0]["message"]


async def test_open_subscription_ends_when_its_key_is_revoked(stack: Stack, tenant: str) -> None:
    ada = make_user(stack, tenant, "ada")
    created = create_key(stack, tenant, permissions=["activities:read"])
    params = {"authorization": f"Bearer {oauth_token(stack, created)}"}
    async with connect(ws_url(stack), params=params) as client:
        id_ = await subscribed(
            stack, client, NEW_ACTIVITY, tenant=tenant, topics=("activity.created",), u=ada
        )
        await mutate(stack, tenant, CREATE_TASK, input={"title": "Call", "assignedTo": ada})
        assert await next_event(client, id_) == {"data": {"newActivity": {"title": "Call"}}}

        await asyncio.to_thread(revoke, stack, tenant, created)
        ended = await next_event(client, id_, within=WITHIN)
        async with asyncio.timeout(2):
            complete = await client.receive()

    assert ended["data"] is None
    assert [e["extensions"]["code"] for e in ended["errors"]] == ["UNAUTHENTICATED"]
    assert "revoked" in ended["errors"][0]["message"]
    assert complete == {"id": id_, "type": "complete"}


async def test_each_operation_on_an_open_websocket_checks_the_key_again(
    stack: Stack, tenant: str
) -> None:
    # Straight to a subgraph: the router sends only subscriptions over WebSocket, and shares
    # one subgraph connection between those with the same credentials.
    created = create_key(stack, tenant, permissions=["deals:read"])
    params = {"x-api-key": created["apiKey"]["key"], "x-api-secret": created["secret"]}
    url = f"ws://127.0.0.1:{stack.ports['deals']}/graphql"
    router = {"x-router-secret": stack.router_secret}  # as the router would send it
    async with connect(url, params=params, headers=router) as client:

        async def ask() -> Any:
            id_ = await client.subscribe(DEALS)
            answer = await next_event(client, id_)
            async with asyncio.timeout(2):
                assert await client.receive() == {"id": id_, "type": "complete"}
            return answer

        assert await ask() == {"data": {"deals": {"totalCount": 0}}}
        await asyncio.to_thread(revoke, stack, tenant, created)
        for _ in range(int(WITHIN / 0.1)):
            after = await ask()
            if refused(after):
                break
            await asyncio.sleep(0.1)

    assert refused(after), after
    assert after["errors"][0]["message"] == "API key revoked"


async def sse_event(lines: AsyncIterator[str], within: float) -> tuple[str, dict[str, Any]]:
    """The next event's name (`message` unless named) and data, skipping comments."""
    name, data = "message", None
    async with asyncio.timeout(within):
        async for line in lines:
            if line.startswith("event: "):
                name = line[7:]
            elif line.startswith("data: "):
                data = json.loads(line[6:])
            elif line == "" and data is not None:
                return name, data
    raise AssertionError("the stream ended")


async def test_open_sse_stream_ends_when_its_key_is_revoked(stack: Stack, tenant: str) -> None:
    ada = make_user(stack, tenant, "ada")
    created = create_key(stack, tenant, permissions=["activities:read"])
    headers = {"x-api-key": created["apiKey"]["key"], "x-api-secret": created["secret"]}
    admin = {"authorization": f"Bearer {stack.token(tenant)}"}
    async with feed(stack, tenant, ada, credentials=headers) as live:
        await mutate(stack, tenant, CREATE_TASK, input={"title": "Call", "assignedTo": ada})
        first = await sse_event(live.lines, within=3)
        assert first[0] == "message" and first[1]["data"]["title"] == "Call", first

        async with httpx.AsyncClient(base_url=stack.rest_url) as client:
            deleted = await client.delete(f"/api-keys/{created['apiKey']['id']}", headers=admin)
        assert deleted.status_code == 200, deleted.text
        name, error = await sse_event(live.lines, within=WITHIN)
        rest = [line async for line in live.lines]

    assert name == "error"
    assert error["errors"][0]["code"] == "UNAUTHORIZED"
    assert "revoked" in error["errors"][0]["message"]
    assert rest == []  # the server closed the stream
