"""Outbound webhooks: who may manage them, and which targets may be called (SSRF), at
registration and again at each send."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from dataclasses import replace

import httpx
import pytest

from crmgraph.rest.app import create_rest_app
from crmgraph.webhooks.sender import Attempt, send
from tests.e2e.webhook_support import SECRET, admin, register
from tests.stack import Stack
from tests.webhook_receiver import Receiver


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    running = Receiver(secret=SECRET)
    running.start()
    yield running
    running.stop()


def test_the_target_is_checked_again_before_each_send(receiver: Receiver) -> None:
    # Registered while allowed, refused when sent: what a DNS change to a private address
    # looks like to the sender.
    async def send_refused() -> Attempt:
        async with httpx.AsyncClient() as client:
            return await send(client, url=f"{receiver.url}/dns", secret=SECRET, body=b"{}",
                              event_id="e", delivery=uuid.uuid4(), topic="ping", wait=5,
                              allow_private=False)  # fmt: skip

    attempt = asyncio.run(send_refused())

    assert not attempt.succeeded and attempt.status_code is None
    assert attempt.error is not None and "a loopback address" in attempt.error
    assert receiver.received == []


@pytest.mark.parametrize(
    ("url", "address"),
    [
        ("http://127.0.0.1:8080/hook", "127.0.0.1, a loopback"),
        ("http://10.20.30.40/hook", "10.20.30.40, a private"),
        ("http://169.254.169.254/latest/meta-data/", "169.254.169.254, a link-local"),
        ("http://[::1]:8080/hook", "::1, a loopback"),
        ("http://localhost:8080/hook", "a loopback"),  # a name that resolves to loopback
    ],
)
def test_private_targets_are_refused_when_not_allowed(
    stack: Stack, tenant: str, url: str, address: str
) -> None:
    # The REST shim as deployed by default (WEBHOOK_ALLOW_PRIVATE_TARGETS unset), on the
    # stack's database; the stack's own shim allows them for the tests' loopback receivers.
    runtime = replace(stack.runtime, settings=stack.settings.model_copy(
        update={"webhook_allow_private_targets": False}))  # fmt: skip
    app = create_rest_app(runtime)
    sent = {"url": url, "events": ["deal.created"]}

    async def post_then_list() -> tuple[httpx.Response, httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://shim") as client:
            made = await client.post("/api/v1/webhooks", json=sent, headers=admin(stack, tenant))
            listed = await client.get("/api/v1/webhooks", headers=admin(stack, tenant))
        return made, listed

    refused, listed = stack.call(post_then_list)

    assert refused.status_code == 400, refused.text
    error = refused.json()["errors"][0]
    assert error["code"] == "VALIDATION_ERROR" and error["field"] == "url"
    assert address in error["message"] and "webhook targets must be public" in error["message"]
    assert listed.json()["data"] == []


def test_only_those_with_webhook_permissions_manage_them(stack: Stack, tenant: str) -> None:
    url = f"{stack.rest_url}/api/v1/webhooks"
    rep = admin(stack, tenant, roles=("sales_rep",))
    body = {"url": "http://127.0.0.1:9/x", "events": ["deal.created"]}

    refused = httpx.post(url, json=body, headers=rep)
    assert refused.status_code == 403
    assert refused.json()["errors"][0]["details"]["required_permissions"] == ["webhooks:write"]
    assert httpx.get(url, headers=rep).status_code == 403
    assert httpx.get(url).status_code == 401
    reader = admin(stack, tenant, roles=(), permissions=("webhooks:read",))
    assert httpx.get(url, headers=reader).status_code == 200
    assert httpx.post(url, json=body, headers=reader).status_code == 403
    # A key may not subscribe to events it could not read itself.
    writer = admin(stack, tenant, roles=(), permissions=("webhooks:write",))
    blind = httpx.post(url, json=body, headers=writer)
    assert blind.status_code == 400 and blind.json()["errors"][0]["field"] == "events.0"

    gql = """mutation { createWebhookSubscription(input: {url: "http://127.0.0.1:9/x",
      events: ["deal.created"]}) { secret } }"""
    answer = stack.graphql(gql, headers=rep).json()
    assert answer["errors"][0]["extensions"]["code"] == "FORBIDDEN"


def test_another_tenant_cannot_see_delete_or_ping_a_webhook(
    stack: Stack, tenant: str, receiver: Receiver
) -> None:
    hook = register(stack, tenant, f"{receiver.url}/mine")
    other = admin(stack, f"t_{uuid.uuid4().hex[:12]}")
    base = f"{stack.rest_url}/api/v1/webhooks/{hook['id']}"

    assert httpx.get(f"{base}/deliveries", headers=other).status_code == 404
    assert httpx.post(f"{base}/test", headers=other).status_code == 404
    assert httpx.delete(base, headers=other).status_code == 404
    assert httpx.get(f"{stack.rest_url}/api/v1/webhooks", headers=other).json()["data"] == []
    assert receiver.received == []
