"""Live events reach only the roles that may read what they carry, on the SSE feed and on
WebSocket subscriptions through the router: a role matrix, each role's own permitted events
being the positive control for the ones it must not get."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter
from contextlib import AsyncExitStack
from datetime import UTC, datetime, timedelta
from typing import Any

from crmgraph.auth import rbac
from crmgraph.events.bus import channel_for
from subgraphs.accounts.subscriptions import ACCOUNT_CHANGES
from subgraphs.contacts.subscriptions import CONTACT_CHANGES
from subgraphs.deals.subscriptions import DEAL_CHANGES
from subgraphs.pipelines.subscriptions import DEAL_EVENTS
from tests.e2e.graphql_ws import GraphQLWebSocket, connect
from tests.e2e.test_rbac import override_role, pipeline
from tests.e2e.test_subscriptions import bearer, ws_url
from tests.e2e.test_subscriptions_more import make_user
from tests.e2e.test_subscriptions_sse import Feed, feed
from tests.isolation_cases import load_supergraph
from tests.stack import Stack

ROLES = sorted(rbac.ROLE_PERMISSIONS)
# What reading each kind of event's entity needs (the query that would read it).
READS = {"activity": "activities:read", "deal": "deals:read", "lead": "leads:read"}


def may_read(role: str, permission: str) -> bool:
    held = rbac.permissions_for([role])
    return rbac.grant(held, *permission.split(":", 1)).allowed


async def write(stack: Stack, tenant: str, user: str, query: str, **variables: Any) -> Any:
    """As user, a tenant admin: what it creates is user's (a deal's owner, a lead's)."""
    headers = bearer(stack, tenant, user_id=user)
    response = await asyncio.to_thread(stack.graphql, query, variables, headers=headers)
    body = response.json()
    assert "errors" not in body, body
    return body["data"]


TASK = """mutation($t: String!, $u: ID!, $due: DateTime) {
  createTask(input: {title: $t, assignedTo: $u, dueDate: $due}) { task { id } } }"""
DEAL = 'mutation { createDeal(input: {title: "Deal", value: 10}) { deal { id } } }'
UPDATE_DEAL = "mutation($id: ID!) { updateDeal(id: $id, input: {value: 20}) { deal { id } } }"
MOVE = "mutation($d: ID!, $s: ID!) { moveDealStage(dealId: $d, stageId: $s) { deal { id } } }"
LEAD = """mutation { createLead(input: {firstName: "L", lastName: "M", email: "l@m.io",
  source: "Web"}) { lead { id } } }"""
PIPELINE_OF = "query($id: ID!) { deal(id: $id) { pipeline { id } } }"
# Under the qualified threshold (70): routing the lead would add its task's event at some
# moment (README "Lead routing").
SCORE = "mutation($l: ID!) { updateLeadScore(leadId: $l, score: 60) { score } }"
CONTACT = 'mutation { createContact(input: {firstName: "C", lastName: "D"}) { contact { id } } }'
ACCOUNT = 'mutation { createAccount(input: {name: "Acme"}) { account { id } } }'


async def until_last(live: Feed) -> Counter[str]:
    """The types of the events up to the one about the task titled Last."""
    got: Counter[str] = Counter()
    while True:
        _, event = await live.next(within=10)
        got[event["type"]] += 1
        if event["data"].get("title") == "Last":
            return got


async def test_sse_feed_sends_each_role_only_the_events_it_may_read(
    stack: Stack, tenant: str
) -> None:
    stages = pipeline(stack, tenant)
    ada = make_user(stack, tenant, "ada")
    async with AsyncExitStack() as opened:
        feeds = {}
        for role in ROLES:
            mine = feed(stack, tenant, ada, user_id=ada, roles=(role,))
            feeds[role] = await opened.enter_async_context(mine)
        await write(stack, tenant, ada, TASK, t="First", u=ada)
        deal = (await write(stack, tenant, ada, DEAL))["createDeal"]["deal"]["id"]
        await write(stack, tenant, ada, UPDATE_DEAL, id=deal)
        await write(stack, tenant, ada, MOVE, d=deal, s=stages["Proposal"])
        lead = (await write(stack, tenant, ada, LEAD))["createLead"]["lead"]["id"]
        await write(stack, tenant, ada, SCORE, l=lead)
        await write(stack, tenant, ada, TASK, t="Last", u=ada)
        live = {role: await until_last(f) for role, f in feeds.items()}
    # Replayed from the outbox (Last-Event-ID 0: all of this tenant's), the same filter.
    replayed = {}
    for role in ROLES:
        async with feed(stack, tenant, ada, 0, user_id=ada, roles=(role,)) as again:
            replayed[role] = await until_last(again)

    sent = Counter({"activity.created": 2, "deal.updated": 1, "deal.stage_changed": 1,
                    "lead.scored": 1})  # fmt: skip
    wanted = {
        role: Counter({t: n for t, n in sent.items() if may_read(role, READS[t.split(".")[0]])})
        for role in ROLES
    }
    assert live == wanted
    assert replayed == wanted
    # the positive control, and the finding: a support agent reads activities only
    assert live["sales_manager"] == sent
    assert live["support_agent"] == Counter({"activity.created": 2})


# The topics each subscription listens on, to see when all have joined the bus.
TOPICS = {"dealStageChanged": ("deal.stage_changed",),
          "dealUpdated": [kind.TOPIC for kind in DEAL_CHANGES],
          "pipelineMetricsUpdated": [kind.TOPIC for kind in DEAL_EVENTS],
          "leadScoreChanged": ("lead.scored",),
          "newActivity": ("activity.created",), "taskDue": ("task.due",),
          "contactUpdated": [kind.TOPIC for kind in CONTACT_CHANGES],
          "accountUpdated": [kind.TOPIC for kind in ACCOUNT_CHANGES]}  # fmt: skip
SUBSCRIPTIONS = {
    # name: (document, the permission the field needs, the one its events need)
    "dealStageChanged": ("subscription($p: ID) { dealStageChanged(pipelineId: $p) { reason } }",
                         "deals:read", "deals:read"),
    "dealUpdated": ("subscription($p: ID) { dealUpdated(pipelineId: $p) { id } }",
                    "deals:read", "deals:read"),
    "pipelineMetricsUpdated": (
        "subscription($p: ID!) { pipelineMetricsUpdated(pipelineId: $p) { changedDealId } }",
        "pipelines:read", "deals:read"),
    "leadScoreChanged": ("subscription($l: ID!) { leadScoreChanged(leadId: $l) { score } }",
                         "leads:read", "leads:read"),
    "newActivity": ("subscription($u: ID!) { newActivity(userId: $u) { __typename } }",
                    "activities:read", "activities:read"),
    "taskDue": ("subscription($u: ID!) { taskDue(userId: $u) { title } }",
                "activities:read", "activities:read"),
    "contactUpdated": ("subscription { contactUpdated { id } }", "contacts:read", "contacts:read"),
    "accountUpdated": ("subscription { accountUpdated { id } }", "accounts:read", "accounts:read"),
}  # fmt: skip
# A tenant's own role that reads pipelines but not deals: pipelineMetricsUpdated is allowed,
# but each of its events is a deal's change, so none may come.
VIEWER = ("pipeline_viewer", ("pipelines:read", "activities:read"))


def outcome(held: frozenset[str], name: str) -> str:
    _, field_needs, event_needs = SUBSCRIPTIONS[name]
    if not rbac.grant(held, *field_needs.split(":", 1)).allowed:
        return "FORBIDDEN"
    return "event" if rbac.grant(held, *event_needs.split(":", 1)).allowed else "nothing"


def all_listening(stack: Stack, tenant: str, subscriptions: int) -> None:
    """Waits until the subgraphs hold that many subscribers on the tenant's channels (what
    the router set up, seen in the bus of the stack's process), so no event is missed."""
    channels = {channel_for(tenant, t) for topics in TOPICS.values() for t in topics}

    async def count() -> int:
        held = stack.runtime.broadcast._subscribers  # observed, not changed
        return sum(len(held.get(channel, ())) for channel in channels)

    deadline = time.monotonic() + 20
    while stack.call(count) < subscriptions:
        assert time.monotonic() < deadline, "the subscriptions did not reach the bus in 20 s"
        time.sleep(0.05)


async def outcomes(client: GraphQLWebSocket, ids: dict[str, str], wanted: int) -> dict[str, str]:
    """What each subscription got: FORBIDDEN, an event, or nothing. Reads until `wanted`
    subscriptions have answered, then 2 s longer for any that should not."""
    got: dict[str, str] = {}
    names = {v: k for k, v in ids.items()}
    quiet_until: float | None = None
    loop = asyncio.get_running_loop()
    while quiet_until is None or loop.time() < quiet_until:
        timeout = 15 if quiet_until is None else quiet_until - loop.time()
        try:
            async with asyncio.timeout(timeout):
                message = await client.receive()
        except TimeoutError:
            break
        name = names.get(message.get("id", ""))
        if name is None or message["type"] == "complete" or name in got:
            continue
        payload = message.get("payload") or {}
        errors = payload if message["type"] == "error" else payload.get("errors") or []
        codes = {(e.get("extensions") or {}).get("code") for e in errors}
        got[name] = (
            "FORBIDDEN" if codes == {"FORBIDDEN"} else ("event" if not errors else str(codes))
        )
        if quiet_until is None and len(got) >= wanted:
            quiet_until = loop.time() + 2
    return {name: got.get(name, "nothing") for name in ids}


def test_the_matrix_has_every_subscription() -> None:
    subscription = load_supergraph().subscription_type
    assert subscription is not None
    assert set(SUBSCRIPTIONS) == set(TOPICS) == set(subscription.fields)


async def test_subscriptions_send_each_role_only_the_events_it_may_read(
    stack: Stack, tenant: str
) -> None:
    override_role(stack, tenant, VIEWER[0], *VIEWER[1])
    stages = pipeline(stack, tenant)
    ada = make_user(stack, tenant, "ada")
    deal = (await write(stack, tenant, ada, DEAL))["createDeal"]["deal"]["id"]
    lead = (await write(stack, tenant, ada, LEAD))["createLead"]["lead"]["id"]
    found = await write(stack, tenant, ada, PIPELINE_OF, id=deal)
    roles = {role: rbac.permissions_for([role]) for role in ROLES}
    roles[VIEWER[0]] = frozenset(VIEWER[1])
    variables = {"p": found["deal"]["pipeline"]["id"], "l": lead, "u": ada}

    async with AsyncExitStack() as opened:
        clients: dict[str, tuple[GraphQLWebSocket, dict[str, str]]] = {}
        for role in roles:
            params = bearer(stack, tenant, user_id=str(uuid.uuid4()), roles=(role,))
            client = await opened.enter_async_context(connect(ws_url(stack), params=params))
            ids = {}
            for name, (document, _, _) in SUBSCRIPTIONS.items():
                used = {k: v for k, v in variables.items() if f"${k}" in document}
                ids[name] = await client.subscribe(document, used)
            clients[role] = (client, ids)
        listening = sum(
            len(set(TOPICS[name]))
            for held in roles.values()
            for name in SUBSCRIPTIONS
            if outcome(held, name) != "FORBIDDEN"
        )
        await asyncio.to_thread(all_listening, stack, tenant, listening)
        await write(stack, tenant, ada, MOVE, d=deal, s=stages["Proposal"])
        await write(stack, tenant, ada, SCORE, l=lead)
        await write(stack, tenant, ada, CONTACT)
        await write(stack, tenant, ada, ACCOUNT)
        soon = (datetime.now(UTC) + timedelta(seconds=1)).isoformat()
        await write(stack, tenant, ada, TASK, t="Call", u=ada, due=soon)
        got = {}
        for role, (client, ids) in clients.items():
            wanted = {name: outcome(roles[role], name) for name in SUBSCRIPTIONS}
            got[role] = await outcomes(client, ids, sum(v != "nothing" for v in wanted.values()))

    assert got == {
        role: {name: outcome(held, name) for name in SUBSCRIPTIONS} for role, held in roles.items()
    }
    assert set(got["sales_manager"].values()) == {"event"}  # the positive control
    assert got[VIEWER[0]]["pipelineMetricsUpdated"] == "nothing"
