"""Outbound webhooks end to end: registered over REST or GraphQL, fed by the outbox through
the real stack, received by a real HTTP server that checks the signature itself
(test_webhooks_access.py: permissions and SSRF)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from itertools import pairwise
from typing import Any

import httpx
import pytest

from crmgraph.db.scoping import Scope
from crmgraph.domain import deals
from tests.e2e.webhook_support import FAST, SECRET, admin, register
from tests.factories import make_pipeline
from tests.settle import eventually
from tests.stack import Stack
from tests.webhook_receiver import Receiver

MOVE = """mutation($d: ID!, $s: ID!) { moveDealStage(dealId: $d, stageId: $s, reason: "signed") {
  deal { id stage } } }"""


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    running = Receiver(secret=SECRET)
    running.start()
    yield running
    running.stop()


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


def test_failures_are_retried_with_backoff_until_one_succeeds(
    stack: Stack, tenant: str, receiver: Receiver
) -> None:
    deals_by = world(stack, tenant)
    receiver.script["/flaky"] = [500, 500]
    hook = register(stack, tenant, f"{receiver.url}/flaky")

    move(stack, tenant, deals_by["A"]["deal"], deals_by["A"]["won"])
    received = receiver.wait_for("/flaky", 3)

    attempts = eventually(lambda: (found := deliveries(stack, tenant, hook["id"])) and
                          len(found) == 3 and found)  # fmt: skip
    assert attempts, deliveries(stack, tenant, hook["id"])
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


def register_down(
    stack: Stack, tenant: str, receiver: Receiver, path: str, *, disable_after: int
) -> dict[str, Any]:
    """A webhook whose receiver answers 503, disabled after disable_after failures."""
    receiver.script[path] = [503] * 50
    retry = {**FAST, "max_retries": 10, "disable_after_failures": disable_after,
             "retry_delay_seconds": 0.1}  # fmt: skip
    return register(stack, tenant, f"{receiver.url}{path}", retry_config=retry)


def test_consecutive_failures_disable_the_subscription(
    stack: Stack, tenant: str, receiver: Receiver
) -> None:
    deals_by = world(stack, tenant)
    hook = register_down(stack, tenant, receiver, "/down", disable_after=3)

    move(stack, tenant, deals_by["A"]["deal"], deals_by["A"]["won"])
    receiver.wait_for("/down", 3)

    def disabled() -> dict[str, Any] | None:
        listed = httpx.get(f"{stack.rest_url}/api/v1/webhooks", headers=admin(stack, tenant))
        row: dict[str, Any] = listed.json()["data"][0]
        return None if row["active"] else row

    row = eventually(disabled)
    assert row, "the webhook was not disabled"
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


def outcomes(stack: Stack, tenant: str) -> dict[str, float]:
    """crmgraph_webhook_deliveries_total by outcome, as GET /metrics shows it."""
    text = httpx.get(f"{stack.rest_url}/metrics",
                     headers=admin(stack, tenant, roles=("system_admin",))).text  # fmt: skip
    prefix = 'crmgraph_webhook_deliveries_total{outcome="'
    return {line[len(prefix):].split('"')[0]: float(line.rsplit(" ", 1)[1])
            for line in text.splitlines() if line.startswith(prefix)}  # fmt: skip


def test_delivery_outcomes_are_counted_in_metrics(
    stack: Stack, tenant: str, receiver: Receiver
) -> None:
    # README (Architecture): GET /metrics counts webhook deliveries by outcome.
    deals_by = world(stack, tenant)
    down = register_down(stack, tenant, receiver, "/counted-down", disable_after=2)
    up = register(stack, tenant, f"{receiver.url}/counted-up")
    before = outcomes(stack, tenant)

    move(stack, tenant, deals_by["A"]["deal"], deals_by["A"]["won"])
    assert eventually(lambda: len(deliveries(stack, tenant, down["id"])) == 2)
    pinged = httpx.post(f"{stack.rest_url}/api/v1/webhooks/{up['id']}/test",
                        headers=admin(stack, tenant))  # fmt: skip
    assert pinged.status_code == 200, pinged.text
    # The up webhook also gets the stage change: delivered twice at least.
    assert eventually(lambda: len(receiver.at("/counted-up")) == 2)
    delivered = before["delivered"] + 2
    after = eventually(lambda: (now := outcomes(stack, tenant))["delivered"] >= delivered and now)
    assert after, outcomes(stack, tenant)

    assert after["disabled"] == before["disabled"] + 1
    assert after["failed"] >= before["failed"] + 1
