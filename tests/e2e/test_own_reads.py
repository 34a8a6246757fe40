"""Reads at the own and team level through the router and the REST shim: a tenant's role
granting deals:read:own (or :team) lists, counts, searches, resolves, exports and receives
only its own (its team's) deals; the sales manager's users:team:read reads its team only."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from crmgraph.db import models
from subgraphs.deals.subscriptions import DEAL_CHANGES
from tests.e2e.graphql_ws import connect
from tests.e2e.test_event_permissions import all_listening
from tests.e2e.test_rbac import override_role, pipeline
from tests.e2e.test_subscriptions import bearer, ws_url
from tests.e2e.test_subscriptions_sse import feed
from tests.stack import Stack

ROLES = {
    "own_reader": ("deals:read:own", "contacts:read", "pipelines:read", "activities:read:own"),
    "team_reader": ("deals:read:team", "contacts:read", "pipelines:read"),
}
CONTACT = 'mutation { createContact(input: {firstName: "C", lastName: "D"}) { contact { id } } }'
DEAL = """mutation($t: String!, $c: ID!) {
  createDeal(input: {title: $t, value: 10, contactId: $c}) { deal { id } } }"""
READS = """query($c: ID!) {
  all: deals(first: 50) { totalCount edges { node { title } } }
  found: deals(first: 50, filter: {title: {contains: "deal"}}) {
    totalCount edges { node { title } } }
  contact(id: $c) { deals(first: 50) { totalCount edges { node { title } } } }
}"""
ONE = "query($id: ID!) { deal(id: $id) { title } }"


def make_user(stack: Stack, tenant: str, name: str, team: str) -> str:
    async def run() -> str:
        async with stack.runtime.sessions() as session, session.begin():
            user = models.User(tenant_id=tenant, email=f"{name}@example.com", name=name, team=team)
            session.add(user)
            await session.flush()
            return str(user.id)

    return stack.call(run)


def as_(stack: Stack, tenant: str, user: str, query: str, role: str = "tenant_admin",
        team: str | None = None, **variables: Any) -> dict[str, Any]:  # fmt: skip
    headers = bearer(stack, tenant, user_id=user, roles=(role,), team=team)
    body: dict[str, Any] = stack.graphql(query, variables, headers=headers).json()
    assert body.get("errors") is None, body
    data: dict[str, Any] = body["data"]
    return data


def titles(connection: dict[str, Any]) -> tuple[int, set[str]]:
    return connection["totalCount"], {e["node"]["title"] for e in connection["edges"]}


@pytest.fixture
def world(stack: Stack, tenant: str) -> dict[str, str]:
    """ada and bob of team north, cy of south, each owning a deal of one shared contact."""
    for role, permissions in ROLES.items():
        override_role(stack, tenant, role, *permissions)
    pipeline(stack, tenant)
    ids = {name: make_user(stack, tenant, name, team)
           for name, team in (("ada", "north"), ("bob", "north"), ("cy", "south"))}  # fmt: skip
    contact = as_(stack, tenant, ids["ada"], CONTACT)["createContact"]["contact"]["id"]
    for name in ("ada", "bob", "cy"):
        made = as_(stack, tenant, ids[name], DEAL, t=f"{name} deal", c=contact)
        ids[f"{name}_deal"] = made["createDeal"]["deal"]["id"]
    ids["contact"] = contact
    return ids


@pytest.mark.parametrize(
    ("role", "seen"), [("own_reader", {"ada deal"}), ("team_reader", {"ada deal", "bob deal"})]
)
def test_lists_counts_search_and_entities_keep_to_the_readers_rows(
    stack: Stack, tenant: str, world: dict[str, str], role: str, seen: set[str]
) -> None:
    data = as_(stack, tenant, world["ada"], READS, role, "north", c=world["contact"])
    assert titles(data["all"]) == (len(seen), seen)
    assert titles(data["found"]) == (len(seen), seen)
    assert titles(data["contact"]["deals"]) == (len(seen), seen)  # _entities of Contact
    assert as_(stack, tenant, world["ada"], ONE, role, "north", id=world["cy_deal"]) == {
        "deal": None
    }
    # the positive control: a tenant-level reader sees all three
    everyone = as_(stack, tenant, world["ada"], READS, "sales_rep", "north", c=world["contact"])
    assert titles(everyone["all"])[0] == 3


@pytest.mark.parametrize(
    ("role", "seen"), [("own_reader", {"ada deal"}), ("team_reader", {"ada deal", "bob deal"})]
)
def test_the_rest_export_keeps_to_the_readers_rows(
    stack: Stack, tenant: str, world: dict[str, str], role: str, seen: set[str]
) -> None:
    headers = bearer(stack, tenant, user_id=world["ada"], roles=(role,), team="north")
    reply = httpx.post(stack.rest_url + "/api/v1/bulk/deals/export", headers=headers,
                       json={"export_format": "json"}, timeout=60)  # fmt: skip
    assert reply.status_code == 200, reply.text
    assert {deal["title"] for deal in reply.json()["data"]} == seen


UPDATED = "subscription { dealUpdated { title } }"
UPDATE = (
    "mutation($id: ID!, $t: String!) { updateDeal(id: $id, input: {title: $t}) { deal { id } } }"
)


@pytest.mark.parametrize(
    ("role", "seen"), [("own_reader", ["ada 2"]), ("team_reader", ["bob 2", "ada 2"])]
)
async def test_subscriptions_deliver_only_the_readers_rows(
    stack: Stack, tenant: str, world: dict[str, str], role: str, seen: list[str]
) -> None:
    params = bearer(stack, tenant, user_id=world["ada"], roles=(role,), team="north")
    async with connect(ws_url(stack), params=params) as client:
        id_ = await client.subscribe(UPDATED)
        await asyncio.to_thread(all_listening, stack, tenant, len(DEAL_CHANGES))
        for name in ("cy", "bob", "ada"):
            await asyncio.to_thread(
                as_, stack, tenant, world[name], UPDATE, id=world[f"{name}_deal"], t=f"{name} 2"
            )
        got = []
        while len(got) < len(seen):
            async with asyncio.timeout(10):
                message = await client.receive()
            if message.get("id") == id_ and message["type"] == "next":
                got.append(message["payload"]["data"]["dealUpdated"]["title"])
    assert got == seen


def test_sales_manager_reads_its_teams_users_only(
    stack: Stack, tenant: str, world: dict[str, str]
) -> None:
    query = "query($id: ID!) { user(id: $id) { name } }"
    mine = as_(stack, tenant, world["ada"], query, "sales_manager", "north", id=world["bob"])
    other = as_(stack, tenant, world["ada"], query, "sales_manager", "north", id=world["cy"])
    assert mine == {"user": {"name": "bob"}}
    assert other == {"user": None}
    # the tenant admin reads everyone
    assert as_(stack, tenant, world["ada"], query, id=world["cy"]) == {"user": {"name": "cy"}}


EVENT = """mutation($t: String!, $a: [ID!]) { createEvent(input: {title: $t,
  startTime: "2030-01-01T10:00:00Z", endTime: "2030-01-01T11:00:00Z", attendees: $a}) {
  event { id } } }"""
TASK = """mutation($t: String!, $u: ID!) {
  createTask(input: {title: $t, assignedTo: $u}) { task { id } } }"""


async def test_the_sse_feed_sends_an_own_level_reader_only_its_activities(
    stack: Stack, tenant: str, world: dict[str, str]
) -> None:
    """cy's meeting with ada is in ada's feed for a tenant-level reader, not at the own level."""
    ada, cy = world["ada"], world["cy"]
    got: dict[str, list[str]] = {}
    for role in ("own_reader", "sales_rep"):
        async with feed(stack, tenant, ada, user_id=ada, roles=(role,), team="north") as live:
            await asyncio.to_thread(
                as_, stack, tenant, cy, EVENT, t=f"cy meets ada {role}", a=[ada]
            )
            await asyncio.to_thread(as_, stack, tenant, ada, TASK, t=f"Last {role}", u=ada)
            titles = got[role] = []
            while not titles or not titles[-1].startswith("Last"):
                _, event = await live.next(within=10)
                titles.append(event["data"].get("title", ""))
    assert got == {"own_reader": ["Last own_reader"],
                   "sales_rep": ["cy meets ada sales_rep", "Last sales_rep"]}  # fmt: skip
