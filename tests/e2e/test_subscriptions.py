"""Subscriptions through the router over graphql-transport-ws, fed by the Redis publisher."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Sequence
from typing import Any

import pytest
from redis.asyncio import Redis

from crmgraph.db.scoping import Scope
from crmgraph.domain import contacts, deals
from crmgraph.events.bus import channel_for
from crmgraph.events.consumers.redis_publisher import RedisPublisher
from subgraphs.deals.subscriptions import DEAL_CHANGES
from tests.e2e.graphql_ws import GraphQLWebSocket, connect
from tests.factories import make_pipeline
from tests.routers import NATIVE
from tests.settle import settled
from tests.stack import Stack

STAGE_CHANGED = ("deal.stage_changed",)
STAGE_CHANGES = """
subscription DealStageUpdates($pipelineId: ID!) {
  dealStageChanged(pipelineId: $pipelineId) {
    deal { title contact { fullName } }
    previousStage newStage changedBy { id } reason timestamp
  }
}"""

MOVE = """
mutation Move($deal: ID!, $stage: ID!) {
  moveDealStage(dealId: $deal, stageId: $stage, reason: "budget approved") { deal { id } }
}"""


def ws_url(stack: Stack) -> str:
    return stack.router_url.replace("http://", "ws://")


def make_deal(stack: Stack, tenant: str) -> dict[str, str]:
    """A pipeline, a contact and a deal of theirs in the first stage; their ids by name."""

    async def run() -> dict[str, str]:
        scope = Scope(tenant_id=tenant)
        async with stack.runtime.sessions() as session, session.begin():
            pipeline, stages = await make_pipeline(session, scope)
            contact = await contacts.create_contact(
                session, scope=scope, data=contacts.NewContact(first_name="Ada", last_name="Byron")
            )
            deal = await deals.create_deal(
                session, scope=scope,
                data=deals.NewDeal(title="Big deal", value=5000, pipeline_id=pipeline.id,
                                   contact_id=contact.id),
            )  # fmt: skip
        return {"pipeline": str(pipeline.id), "deal": str(deal.id),
                **{name: str(stage.id) for name, stage in stages.items()}}  # fmt: skip

    made = stack.call(run)
    relayed(stack, tenant)
    return made


def relayed(stack: Stack, tenant: str) -> None:
    """Waits until the Redis publisher has published the tenant's events so far: a
    subscription started now sees only what happens next."""

    settled(stack, tenant, RedisPublisher.name)


async def mutate(stack: Stack, tenant: str, query: str, **variables: Any) -> dict[str, Any]:
    response = await asyncio.to_thread(stack.graphql, query, variables, tenant=tenant)
    body: dict[str, Any] = response.json()
    assert "errors" not in body, body
    return body["data"]


async def next_event(client: GraphQLWebSocket, id_: str, within: float = 2.0) -> dict[str, Any]:
    async with asyncio.timeout(within):
        message = await client.receive()
    assert message["id"] == id_, message
    assert message["type"] == "next", message
    return message["payload"]


async def subscribed(
    stack: Stack,
    client: GraphQLWebSocket,
    query: str,
    *,
    tenant: str,
    topics: Sequence[str],
    **variables: Any,
) -> str:
    """Subscribe, then wait until Redis counts a subscriber on each of the tenant's channels
    the subscription reads (topics): an event published from then on reaches it. A fixed
    sleep, which a busy machine can outlast, stood here before. Only the first subscription
    to a channel in the stack's process shows in Redis: one per tenant and topic, then."""
    id_ = await client.subscribe(query, variables)
    channels = [channel_for(tenant, topic) for topic in topics]
    redis = Redis.from_url(stack.settings.redis_url)
    try:
        async with asyncio.timeout(10):
            while not all(n for _, n in await redis.pubsub_numsub(*channels)):  # noqa: ASYNC110
                await asyncio.sleep(0.02)
    finally:
        await redis.aclose()
    return id_


def bearer(stack: Stack, tenant: str, **kwargs: Any) -> dict[str, str]:
    return {"authorization": f"Bearer {stack.token(tenant, **kwargs)}"}


async def test_deal_stage_change_arrives_with_its_contact_within_two_seconds(
    stack: Stack, tenant: str
) -> None:
    ids = make_deal(stack, tenant)
    user = uuid.uuid4()
    async with connect(ws_url(stack), params=bearer(stack, tenant, user_id=user)) as client:
        id_ = await subscribed(
            stack, client, STAGE_CHANGES, tenant=tenant, topics=STAGE_CHANGED,
            pipelineId=ids["pipeline"],
        )  # fmt: skip
        started = time.monotonic()
        response = await asyncio.to_thread(
            stack.graphql, MOVE, {"deal": ids["deal"], "stage": ids["Proposal"]},
            headers=bearer(stack, tenant, user_id=user),
        )  # fmt: skip
        assert "errors" not in response.json(), response.json()
        payload = await next_event(client, id_)
        elapsed = time.monotonic() - started

    assert "errors" not in payload, payload
    event = payload["data"]["dealStageChanged"]
    assert event.pop("timestamp")
    assert event == {
        "deal": {"title": "Big deal", "contact": {"fullName": "Ada Byron"}},
        "previousStage": "Lead",
        "newStage": "Proposal",
        "changedBy": {"id": str(user)},
        "reason": "budget approved",
    }
    assert elapsed < 2.0


async def test_subscriber_of_another_tenant_receives_nothing(stack: Stack, tenant: str) -> None:
    ids = make_deal(stack, tenant)
    other = f"{tenant}_b"
    make_deal(stack, other)
    async with (
        connect(ws_url(stack), params=bearer(stack, other)) as theirs,
        connect(ws_url(stack), params=bearer(stack, tenant)) as mine,
    ):
        # Both listen before the move: "theirs receives nothing" then shows isolation, not a
        # subscription that was not there yet.
        their_id = await subscribed(
            stack, theirs, "subscription { dealStageChanged { deal { id } newStage } }",
            tenant=other, topics=STAGE_CHANGED,
        )  # fmt: skip
        my_id = await subscribed(
            stack, mine, "subscription { dealStageChanged { deal { id } } }",
            tenant=tenant, topics=STAGE_CHANGED,
        )  # fmt: skip
        await mutate(stack, tenant, MOVE, deal=ids["deal"], stage=ids["Proposal"])

        assert await next_event(mine, my_id) == {
            "data": {"dealStageChanged": {"deal": {"id": ids["deal"]}}}
        }
        with pytest.raises(TimeoutError):
            await next_event(theirs, their_id, within=1.0)


async def test_subscription_without_credentials_is_refused(stack: Stack) -> None:
    async with connect(ws_url(stack)) as client:
        id_ = await client.subscribe("subscription { dealUpdated { id } }")
        async with asyncio.timeout(5):
            message = await client.receive()
            completed = await client.receive()

    assert completed == {"id": id_, "type": "complete"}
    assert message == {
        "id": id_,
        "type": "next",
        "payload": {
            "data": None,
            "errors": [
                {
                    "message": "missing credentials: send Authorization: Bearer <token>",
                    "path": ["dealUpdated"],
                    "extensions": {"code": "UNAUTHENTICATED"},
                }
            ],
        },
    }


async def test_subscription_needs_the_read_permission(stack: Stack, tenant: str) -> None:
    params = bearer(stack, tenant, roles=("support_agent",))
    async with connect(ws_url(stack), params=params) as client:
        id_ = await client.subscribe("subscription { dealUpdated { id } }")
        async with asyncio.timeout(5):
            message = await client.receive()

    assert (message["id"], message["type"]) == (id_, "next"), message
    assert [e["extensions"]["code"] for e in message["payload"]["errors"]] == ["FORBIDDEN"]


async def test_token_in_the_upgrade_headers_authenticates_too(stack: Stack, tenant: str) -> None:
    ids = make_deal(stack, tenant)
    if NATIVE:  # Hive Router 0.2.0 reads a WebSocket's credentials from connection_init only
        async with connect(ws_url(stack), headers=bearer(stack, tenant)) as client:
            await client.subscribe("subscription { dealUpdated { id } }")
            async with asyncio.timeout(10):
                message = await client.receive()
        assert [e["extensions"]["code"] for e in message["payload"]["errors"]] == [
            "UNAUTHENTICATED"
        ]
        return
    async with connect(ws_url(stack), headers=bearer(stack, tenant)) as client:
        id_ = await subscribed(
            stack, client, "subscription($p: ID) { dealUpdated(pipelineId: $p) { title stage } }",
            tenant=tenant, topics=[kind.TOPIC for kind in DEAL_CHANGES], p=ids["pipeline"],
        )  # fmt: skip
        await mutate(stack, tenant, MOVE, deal=ids["deal"], stage=ids["Negotiation"])

        assert await next_event(client, id_) == {
            "data": {"dealUpdated": {"title": "Big deal", "stage": "Negotiation"}}
        }


async def test_deal_updated_follows_one_pipeline(stack: Stack, tenant: str) -> None:
    ids = make_deal(stack, tenant)
    elsewhere = make_deal(stack, tenant)
    update = (
        "mutation($id: ID!, $v: Float) { updateDeal(id: $id, input: {value: $v}) { deal { id } } }"
    )
    async with connect(ws_url(stack), params=bearer(stack, tenant)) as client:
        id_ = await subscribed(
            stack, client, "subscription($p: ID) { dealUpdated(pipelineId: $p) { id value } }",
            tenant=tenant, topics=[kind.TOPIC for kind in DEAL_CHANGES], p=ids["pipeline"],
        )  # fmt: skip
        await mutate(stack, tenant, update, id=elsewhere["deal"], v=1.0)
        await mutate(stack, tenant, update, id=ids["deal"], v=7500.0)

        assert await next_event(client, id_) == {
            "data": {"dealUpdated": {"id": ids["deal"], "value": 7500.0}}
        }


async def test_router_answers_keep_alive_pings(stack: Stack, tenant: str) -> None:
    async with connect(ws_url(stack), params=bearer(stack, tenant)) as client:
        await client.send({"type": "ping"})
        async with asyncio.timeout(2):
            assert await client.receive() == {"type": "pong"}
