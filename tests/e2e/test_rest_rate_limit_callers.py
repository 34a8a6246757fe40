"""Whom the REST shim's rate limits count (credentials that do not verify are refused before
any bucket), and its /internal/introspect endpoint, which tells the router the same."""

from __future__ import annotations

import asyncio
import dataclasses
import uuid

import httpx
import pytest

from crmgraph.rest.app import create_rest_app
from tests.e2e.test_rate_limit_callers import create_key, forged
from tests.e2e.test_rate_limits import limited_rest  # noqa: F401 (a fixture)
from tests.stack import Stack


@pytest.mark.parametrize("credential", ["forged token", "wrong API secret"])
def test_rest_shim_refuses_forged_credentials_before_counting(
    stack: Stack,
    tenant: str,
    limited_rest: str,  # noqa: F811
    credential: str,
) -> None:
    # Premium refills one request in 5 s: none comes back while the test runs.
    key = create_key(stack, tenant, "premium_integration")
    if credential == "forged token":
        good = {"authorization": f"Bearer {stack.token(tenant, user_id='victim')}"}
        bad = {"authorization": f"Bearer {forged(stack, tenant, 'victim')}"}
    else:
        good, bad = key, {**key, "x-api-secret": "not-the-secret"}
    url = f"{limited_rest}/api-keys/{uuid.uuid4()}"

    first = httpx.delete(url, headers=good)
    refusals = [httpx.delete(url, headers=bad) for _ in range(3)]
    second = httpx.delete(url, headers=good)

    assert [r.status_code for r in refusals] == [401] * 3
    assert refusals[0].json()["errors"][0]["code"] == "UNAUTHORIZED"
    assert "X-RateLimit-Remaining" not in refusals[0].headers
    remaining = int(first.headers["X-RateLimit-Remaining"])
    assert int(second.headers["X-RateLimit-Remaining"]) == remaining - 1


def test_introspection_answers_only_the_router(stack: Stack, tenant: str) -> None:
    url = f"{stack.rest_url}/internal/introspect"
    token = stack.token(tenant, user_id="ada")
    body = {"headers": {"authorization": f"Bearer {token}"}, "address": "203.0.113.9"}
    secret = {"x-router-secret": str(stack.settings.router_secret)}

    anonymous = httpx.post(url, json=body)
    wrong = httpx.post(url, json=body, headers={"x-router-secret": "guess"})
    valid = httpx.post(url, json=body, headers=secret)
    fake = {"headers": {"authorization": f"Bearer {forged(stack, tenant, 'ada')}"}}
    invalid = httpx.post(url, json=fake, headers=secret)
    no_body = httpx.post(url, content=b"{", headers=secret)

    assert [anonymous.status_code, wrong.status_code] == [401, 401]
    assert "bucket" not in anonymous.text
    assert valid.json() == {
        "active": True, "bucket": f"user:{tenant}:ada", "tier": "authenticated_user",
        "tenant_id": tenant, "sub": "ada",
    }  # fmt: skip
    assert invalid.json() == {
        "active": False,
        "error": {"code": "UNAUTHENTICATED",
                  "message": "invalid token: Signature verification failed"},
    }  # fmt: skip
    assert no_body.status_code == 400


def test_without_a_router_secret_introspection_answers_nobody(stack: Stack, tenant: str) -> None:
    settings = stack.runtime.settings.model_copy(update={"router_secret": None})
    app = create_rest_app(dataclasses.replace(stack.runtime, settings=settings))
    token = stack.token(tenant)
    body = {"headers": {"authorization": f"Bearer {token}"}}

    async def ask(headers: dict[str, str]) -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://shim") as client:
            return await client.post("/internal/introspect", json=body, headers=headers)

    tries = ({}, {"x-router-secret": ""}, {"x-router-secret": "None"})
    answers = [asyncio.run(ask(headers)) for headers in tries]

    assert [a.status_code for a in answers] == [401] * 3
    assert all(a.json()["errors"][0]["code"] == "UNAUTHORIZED" for a in answers)
