"""API keys end to end: create (GraphQL and REST), use through the router, revoke, expire,
IP allow-list, and the client_credentials grant."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import update

from crmgraph.db import models
from tests.stack import Stack

CREATE = """mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) {
  apiKey { id key permissions rateLimitTier ipWhitelist } secret } }"""
DEALS = "{ deals { totalCount } }"
NEW_DEAL = 'mutation { createDeal(input: {title: "D", value: 1}) { deal { id } } }'


def create_key(stack: Stack, tenant: str, **input: Any) -> dict[str, Any]:
    body = stack.graphql(CREATE, {"input": {"name": "Zoho sync", **input}}, tenant=tenant).json()
    assert body.get("errors") is None, body
    created: dict[str, Any] = body["data"]["createApiKey"]
    return created


def with_key(stack: Stack, created: dict[str, Any], query: str, **headers: str) -> dict[str, Any]:
    sent = {"x-api-key": created["apiKey"]["key"], "x-api-secret": created["secret"], **headers}
    body: dict[str, Any] = stack.graphql(query, headers=sent).json()
    return body


def codes(body: dict[str, Any]) -> list[str]:
    return [e["extensions"]["code"] for e in body.get("errors", [])]


def test_key_works_through_the_router_within_its_permissions(stack: Stack, tenant: str) -> None:
    created = create_key(stack, tenant, permissions=["deals:read"])

    assert created["secret"].startswith("cs_")
    assert with_key(stack, created, DEALS) == {"data": {"deals": {"totalCount": 0}}}
    assert codes(with_key(stack, created, NEW_DEAL)) == ["FORBIDDEN"]
    listed = stack.graphql("{ apiKeys { key lastUsedAt } }", tenant=tenant).json()["data"]
    assert listed["apiKeys"][0]["key"] == created["apiKey"]["key"]
    assert listed["apiKeys"][0]["lastUsedAt"] is not None
    assert "secret" not in str(listed)


def test_wrong_secret_revoked_and_expired_keys_are_unauthenticated(
    stack: Stack, tenant: str
) -> None:
    created = create_key(stack, tenant, permissions=["deals:read"])
    wrong = {**created, "secret": "cs_wrong"}
    assert codes(with_key(stack, wrong, DEALS)) == ["UNAUTHENTICATED"]

    revoke = "mutation($id: ID!) { revokeApiKey(id: $id) { apiKey { revokedAt } } }"
    revoked = stack.graphql(revoke, {"id": created["apiKey"]["id"]}, tenant=tenant).json()
    assert revoked["data"]["revokeApiKey"]["apiKey"]["revokedAt"] is not None
    assert codes(with_key(stack, created, DEALS)) == ["UNAUTHENTICATED"]

    expiring = create_key(stack, tenant, permissions=["deals:read"])

    async def expire() -> None:
        async with stack.runtime.sessions() as session, session.begin():
            await session.execute(
                update(models.ApiKey)
                .where(models.ApiKey.key == expiring["apiKey"]["key"])
                .values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
            )

    stack.call(expire)
    assert codes(with_key(stack, expiring, DEALS)) == ["UNAUTHENTICATED"]


def test_ip_allow_list_is_enforced(stack: Stack, tenant: str) -> None:
    elsewhere = create_key(stack, tenant, permissions=["deals:read"], ipWhitelist=["10.9.9.0/24"])
    here = create_key(stack, tenant, permissions=["deals:read"], ipWhitelist=["127.0.0.1"])

    assert codes(with_key(stack, elsewhere, DEALS)) == ["UNAUTHENTICATED"]
    # A client cannot claim another address: the router sets X-Forwarded-For itself.
    spoofed = with_key(stack, elsewhere, DEALS, **{"x-forwarded-for": "10.9.9.9"})
    assert codes(spoofed) == ["UNAUTHENTICATED"]
    assert codes(with_key(stack, here, DEALS)) == []


def test_invalid_key_input_is_refused(stack: Stack, tenant: str) -> None:
    body = stack.graphql(
        CREATE, {"input": {"name": "k", "ipWhitelist": ["not-an-ip"]}}, tenant=tenant
    ).json()

    assert body["errors"][0]["extensions"] == {
        "code": "VALIDATION_ERROR",
        "field": "ipWhitelist.0",
    }


def test_rest_create_then_client_credentials_then_revoke(stack: Stack, tenant: str) -> None:
    admin = {"authorization": f"Bearer {stack.token(tenant)}"}
    response = httpx.post(
        f"{stack.rest_url}/api-keys",
        json={"name": "Third-party Integration", "permissions": ["deals:read", "leads:write"]},
        headers=admin,
    )
    assert response.status_code == 201, response.text
    created = response.json()["data"]

    token = httpx.post(
        f"{stack.rest_url}/oauth2/token",
        data={"grant_type": "client_credentials", "client_id": created["key"],
              "client_secret": created["secret"]},
    )  # fmt: skip
    assert token.status_code == 200, token.text
    assert token.json()["scope"] == "deals:read leads:write"
    bearer = {"authorization": f"Bearer {token.json()['access_token']}"}
    assert stack.graphql(DEALS, headers=bearer).json() == {"data": {"deals": {"totalCount": 0}}}

    bad = httpx.post(
        f"{stack.rest_url}/oauth2/token",
        json={"grant_type": "client_credentials", "client_id": created["key"],
              "client_secret": "cs_nope"},
    )  # fmt: skip
    assert bad.status_code == 401
    assert bad.json()["errors"][0]["code"] == "UNAUTHORIZED"

    deleted = httpx.delete(f"{stack.rest_url}/api-keys/{created['id']}", headers=admin)
    assert deleted.status_code == 200, deleted.text
    again = httpx.post(
        f"{stack.rest_url}/oauth2/token",
        data={"grant_type": "client_credentials", "client_id": created["key"],
              "client_secret": created["secret"]},
    )  # fmt: skip
    assert again.status_code == 401


def test_rest_api_keys_need_an_admin(stack: Stack, tenant: str) -> None:
    rep = {"authorization": f"Bearer {stack.token(tenant, roles=('sales_rep',))}"}

    response = httpx.post(f"{stack.rest_url}/api-keys", json={"name": "k"}, headers=rep)
    assert response.status_code == 403
    assert response.json()["errors"][0]["details"]["required_permissions"] == ["api_keys:write"]
    anonymous = httpx.post(f"{stack.rest_url}/api-keys", json={"name": "k"})
    assert anonymous.status_code == 401


def test_allow_list_sees_the_clients_address_through_the_router(stack: Stack, tenant: str) -> None:
    # Connect from 127.0.0.2: only the router's X-Forwarded-For can tell the subgraph that.
    only_two = create_key(stack, tenant, permissions=["deals:read"], ipWhitelist=["127.0.0.2"])
    headers = {"x-api-key": only_two["apiKey"]["key"], "x-api-secret": only_two["secret"]}

    with httpx.Client(transport=httpx.HTTPTransport(local_address="127.0.0.2")) as client:
        from_two = client.post(stack.router_url, json={"query": DEALS}, headers=headers).json()
    from_one = httpx.post(stack.router_url, json={"query": DEALS}, headers=headers).json()

    assert from_two == {"data": {"deals": {"totalCount": 0}}}
    assert codes(from_one) == ["UNAUTHENTICATED"]


def test_unstorable_input_is_a_400_not_a_500(stack: Stack, tenant: str) -> None:
    admin = {"authorization": f"Bearer {stack.token(tenant)}"}

    created = httpx.post(f"{stack.rest_url}/api-keys", json={"name": "k\u0000"}, headers=admin)
    token = httpx.post(
        f"{stack.rest_url}/oauth2/token",
        json={"grant_type": "client_credentials", "client_id": "\u0000", "client_secret": "x"},
    )

    assert created.status_code == 400
    assert created.json()["errors"][0]["code"] == "VALIDATION_ERROR"
    assert token.status_code == 401
