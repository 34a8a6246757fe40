"""Outbound webhooks end to end: registered over REST or GraphQL, fed by the outbox through
the real stack, received by a real HTTP server that checks the signature itself."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Iterator
from dataclasses import replace
from itertools import pairwise
from typing import Any

import httpx
import pytest

from crmgraph.db.scoping import Scope
from crmgraph.domain import deals
from crmgraph.rest.app import create_rest_app
from crmgraph.webhooks.sender import Attempt, send
from tests.factories import make_pipeline
from tests.stack import Stack
from tests.webhook_receiver import Receiver

SECRET = "whsec_e2e_receiver_secret_0123"
MOVE = """mutation($d: ID!, $s: ID!) { moveDealStage(dealId: $d, stageId: $s, reason: "signed") {
  deal { id stage } } }"""
FAST = {"retry_delay_seconds": 0.2, "timeout_seconds": 5}


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    running = Receiver(secret=SECRET)
    running.start()
    yield running
    running.stop()


def admin(stack: Stack, tenant: str, **token: Any) -> dict[str, str]:
    return {"authorization": f"Bearer {stack.token(tenant, **token)}"}


def register(stack: Stack, tenant: str, url: str, **body: Any) -> dict[str, Any]:
    sent = {"events": ["deal.stage_changed"], "security": {"secret": SECRET},
            "retry_config": FAST, **body}  # fmt: skip
    response = httpx.post(f"{stack.rest_url}/api/v1/webhooks", json={"url": url, **sent},
                          headers=admin(stack, tenant))  # fmt: skip
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()["data"]
    return created


def world(stack: Stack, tenant: str) -> dict[str, Any]:
    """Two pipelines with a deal each."""

    async def make() -> dict[str, Any]:
        scope = Scope(tenant_id=tenant)
        out: dict[str, Any] = {}
        async with stack.runtime.sessions() as session, session.begin():
            for name in ("A", "B"):
                pipeline, stages = await make_pipeline(session, scope, name=name)
                deal = await deals.create_deal(session, scope=scope, data=deals.NewDeal(
                    title=f"Deal {name}", value=1000, pipeline_id=pipeline.id))  # fmt: skip
                out[name] = {"pipeline": str(pipeline.id), "deal": str(deal.id),
                             "won": str(stages["Closed Won"].id)}  # fmt: skip
        return out

    return stack.call(make)


def move(stack: Stack, tenant: str, deal: str, stage: str) -> None:
    body = stack.graphql(MOVE, {"d": deal, "s": stage}, tenant=tenant).json()
    assert body.get("errors") is None, body


def deliveries(stack: Stack, tenant: str, webhook_id: str) -> list[dict[str, Any]]:
    response = httpx.get(f"{stack.rest_url}/api/v1/webhooks/{webhook_id}/deliveries",
                         headers=admin(stack, tenant))  # fmt: skip
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()["data"]
    return found


def wait_until(check: Any, timeout: float = 15) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if found := check():
            return found
        time.sleep(0.1)
    raise AssertionError("not within the time")


def test_stage_change_reaches_only_the_subscription_of_its_pipeline_signed(
    stack: Stack, tenant: str, receiver: Receiver
) -> None:
    deals_by = world(stack, tenant)
    for name in ("A", "B"):
        filters = {"deal.stage_changed": {"pipeline_ids": [deals_by[name]["pipeline"]]}}
        register(stack, tenant, f"{receiver.url}/{name}", filters=filters)

    move(stack, tenant, deals_by["A"]["deal"], deals_by["A"]["won"])
    got = receiver.wait_for("/A")[0]
    move(stack, tenant, deals_by["B"]["deal"], deals_by["B"]["won"])
    receiver.wait_for("/B")

    assert got.verified
    body = got.json
    assert body["event_type"] == "deal.stage_changed" and body["tenant_id"] == tenant
    assert body["data"]["deal"]["id"] == deals_by["A"]["deal"]
    assert body["data"]["deal"]["pipeline_id"] == deals_by["A"]["pipeline"]
    assert body["data"]["deal"]["previous_stage"] == "Lead"
    assert body["data"]["deal"]["current_stage"] == "Closed Won"
    assert body["data"]["change_info"]["reason"] == "signed"
    assert got.headers["X-CRM-Event-ID"] == body["event_id"]
    # Each pipeline's subscription got its own pipeline's move, only.
    assert [r.json["data"]["deal"]["id"] for r in receiver.at("/A")] == [deals_by["A"]["deal"]]
    assert [r.json["data"]["deal"]["id"] for r in receiver.at("/B")] == [deals_by["B"]["deal"]]


def test_receiver_refuses_a_replay_after_its_tolerance_and_a_changed_body(
    stack: Stack, tenant: str, receiver: Receiver
) -> None:
    deals_by = world(stack, tenant)
    register(stack, tenant, f"{receiver.url}/hook")
    move(stack, tenant, deals_by["A"]["deal"], deals_by["A"]["won"])
    got = receiver.wait_for("/hook")[0]
    assert got.verified

    tampered = got.body.replace(b"Closed Won", b"Closed Lost")
    assert receiver.replay(type(got)(got.path, got.headers, tampered, False)) == 401
    receiver.clock_offset = 301  # the same request, captured and sent again 5 minutes later
    assert receiver.replay(got) == 401


def test_a_slow_receiver_holds_back_no_other_subscription(
    stack: Stack, tenant: str, receiver: Receiver
) -> None:
    deals_by = world(stack, tenant)
    receiver.delays["/slow"] = 4.0
    register(stack, tenant, f"{receiver.url}/slow")
    register(stack, tenant, f"{receiver.url}/fast")

    move(stack, tenant, deals_by["A"]["deal"], deals_by["A"]["won"])
    started = time.monotonic()
    fast = receiver.wait_for("/fast")
    waited = time.monotonic() - started

    # The slow receiver got the same event at the same time and is still answering.
    assert waited < 2.0, waited
    slow = receiver.wait_for("/slow")
    assert slow[0].json["event_id"] == fast[0].json["event_id"]


def test_the_target_is_checked_again_before_each_send(receiver: Receiver) -> None:
    # Registered while allowed, refused when sent: what a DNS change to a private address
    # looks like to the sender.
    async def send_refused() -> Attempt:
        async with httpx.AsyncClient() as client:
            return await send(client, url=f"{receiver.url}/dns", secret=SECRET, body=b"{}",
                              event_id="e", topic="ping", wait=5, allow_private=False)  # fmt: skip

    attempt = asyncio.run(send_refused())

    assert not attempt.succeeded and attempt.status_code is None
    assert attempt.error is not None and "a loopback address" in attempt.error
    assert receiver.received == []


def test_failures_are_retried_with_backoff_until_one_succeeds(
    stack: Stack, tenant: str, receiver: Receiver
) -> None:
    deals_by = world(stack, tenant)
    receiver.script["/flaky"] = [500, 500]
    hook = register(stack, tenant, f"{receiver.url}/flaky")

    move(stack, tenant, deals_by["A"]["deal"], deals_by["A"]["won"])
    received = receiver.wait_for("/flaky", 3)

    attempts = wait_until(lambda: (found := deliveries(stack, tenant, hook["id"])) and
                          len(found) == 3 and found)  # fmt: skip
    assert len({r.json["event_id"] for r in received}) == 1
    assert [(a["attempt_number"], a["status"], a["response_code"]) for a in attempts] == [
        (3, "succeeded", 200), (2, "failed", 500), (1, "failed", 500)]  # fmt: skip
    assert '"status": 500' in attempts[1]["response_excerpt"]
    assert attempts[1]["error"] == "the receiver answered HTTP 500"
    # Exponential backoff: at least 0.2 s before the first retry, 0.4 s before the second.
    gaps = [later.at - earlier.at for earlier, later in pairwise(received)]
    assert gaps[0] >= 0.19 and gaps[1] >= 0.39, gaps
    listed = httpx.get(f"{stack.rest_url}/api/v1/webhooks", headers=admin(stack, tenant))
    assert listed.json()["data"][0]["consecutive_failures"] == 0


def test_consecutive_failures_disable_the_subscription(
    stack: Stack, tenant: str, receiver: Receiver
) -> None:
    deals_by = world(stack, tenant)
    receiver.script["/down"] = [503] * 50
    retry = {**FAST, "max_retries": 10, "disable_after_failures": 3, "retry_delay_seconds": 0.1}
    hook = register(stack, tenant, f"{receiver.url}/down", retry_config=retry)

    move(stack, tenant, deals_by["A"]["deal"], deals_by["A"]["won"])
    receiver.wait_for("/down", 3)

    def disabled() -> dict[str, Any] | None:
        listed = httpx.get(f"{stack.rest_url}/api/v1/webhooks", headers=admin(stack, tenant))
        row: dict[str, Any] = listed.json()["data"][0]
        return None if row["active"] else row

    row = wait_until(disabled)
    assert row["disabled_at"] is not None
    assert "3 failed deliveries in a row" in row["disabled_reason"]
    time.sleep(1)  # retries would have come by now (0.1 s, 0.2 s, ...)
    assert len(receiver.at("/down")) == 3
    assert [a["status"] for a in deliveries(stack, tenant, hook["id"])] == ["failed"] * 3


def test_test_endpoint_sends_a_signed_ping(stack: Stack, tenant: str, receiver: Receiver) -> None:
    hook = register(stack, tenant, f"{receiver.url}/ping")

    response = httpx.post(f"{stack.rest_url}/api/v1/webhooks/{hook['id']}/test",
                          headers=admin(stack, tenant))  # fmt: skip

    assert response.status_code == 200, response.text
    attempt = response.json()["data"]
    assert (attempt["event_type"], attempt["status"], attempt["response_code"]) == (
        "ping", "succeeded", 200)  # fmt: skip
    got = receiver.at("/ping")[0]
    assert got.verified and got.json["event_type"] == "ping"
    assert got.json["data"]["webhook_id"] == hook["id"]
    assert deliveries(stack, tenant, hook["id"])[0]["id"] == attempt["id"]


def test_secret_is_generated_shown_once_and_graphql_manages_the_same_subscriptions(
    stack: Stack, tenant: str, receiver: Receiver
) -> None:
    create = """mutation($i: CreateWebhookSubscriptionInput!) { createWebhookSubscription(input: $i)
      { secret webhookSubscription { id url events filters retryConfig active } } }"""
    variables = {"i": {"url": f"{receiver.url}/gql", "events": ["lead.converted"],
                       "retryConfig": {"maxRetries": 1}}}  # fmt: skip
    body = stack.graphql(create, variables, tenant=tenant).json()
    assert body.get("errors") is None, body
    made = body["data"]["createWebhookSubscription"]
    assert made["secret"].startswith("whsec_") and len(made["secret"]) > 40
    assert made["webhookSubscription"]["retryConfig"]["max_retries"] == 1

    listed = httpx.get(f"{stack.rest_url}/api/v1/webhooks", headers=admin(stack, tenant)).json()
    assert [w["id"] for w in listed["data"]] == [made["webhookSubscription"]["id"]]
    assert "secret" not in listed["data"][0]
    queried = stack.graphql("{ webhookSubscriptions { id url } }", tenant=tenant).json()
    assert queried["data"]["webhookSubscriptions"][0]["url"] == f"{receiver.url}/gql"

    delete = "mutation($id: ID!) { deleteWebhookSubscription(id: $id) { id deleted } }"
    gone = stack.graphql(delete, {"id": made["webhookSubscription"]["id"]}, tenant=tenant).json()
    assert gone["data"]["deleteWebhookSubscription"]["deleted"] is True
    assert httpx.get(f"{stack.rest_url}/api/v1/webhooks",
                     headers=admin(stack, tenant)).json()["data"] == []  # fmt: skip


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
