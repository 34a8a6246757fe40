"""Reads at the own and team level through the router, where rows are reached through other
rows: an account's hierarchy and its deal sum, a customer journey's steps, a filter on a
related table, the names the REST export joins in, and a subscription's team after a user
moved out of it. A tenant's role reading at the own level sees none of another user's rows
there; the positive controls read the same at the tenant level."""

from __future__ import annotations

import asyncio
from typing import Any
from uuid import UUID

import httpx
import pytest
from sqlalchemy import update

from crmgraph.db import models
from crmgraph.db.scoping import Scope
from crmgraph.domain import accounts
from subgraphs.deals.subscriptions import DEAL_CHANGES
from tests.e2e.graphql_ws import connect
from tests.e2e.test_event_permissions import all_listening
from tests.e2e.test_own_reads import UPDATE, UPDATED, as_, make_user
from tests.e2e.test_rbac import override_role, pipeline
from tests.e2e.test_subscriptions import bearer, ws_url
from tests.stack import Stack

READS = ("pipelines:read", "campaigns:read")
ROLES = {
    "own_reader": ("deals:read:own", "contacts:read:own", "accounts:read:own",
                   "activities:read:own", *READS),
    "team_reader": ("deals:read:team", "contacts:read", "accounts:read", *READS),
    "tenant_reader": ("deals:read", "contacts:read", "accounts:read", "activities:read", *READS),
}  # fmt: skip
ACCOUNT = """mutation($n: String!, $p: ID) { createAccount(input: {name: $n,
  parentAccountId: $p}) { account { id } } }"""
CONTACT = """mutation($a: ID) { createContact(input: {firstName: "Cyrus", lastName: "Hidden",
  accountId: $a}) { contact { id } } }"""
DEAL = """mutation($t: String!, $v: Float!, $a: ID, $c: ID) { createDeal(input: {title: $t,
  value: $v, accountId: $a, contactId: $c}) { deal { id } } }"""
TASK = """mutation($t: String!, $a: ID!) { createTask(input: {title: $t,
  relatedTo: {type: ACCOUNT, id: $a}}) { task { id } } }"""


@pytest.fixture
def world(stack: Stack, tenant: str) -> dict[str, str]:
    """ada and bob of team north, cy of south. ada's account "Ada Parent" has cy's child
    "Cy Child", which has ada's "Ada Grandchild". ada's deal of 10 is on her account, cy's
    of 1000 on his, ada's of 5 on his with his contact; cy has a task about ada's account."""
    for role, permissions in ROLES.items():
        override_role(stack, tenant, role, *permissions)
    pipeline(stack, tenant)
    ids = {name: make_user(stack, tenant, name, team)
           for name, team in (("ada", "north"), ("bob", "north"), ("cy", "south"))}  # fmt: skip

    def run(user: str, query: str, path: str, **variables: Any) -> str:
        data = as_(stack, tenant, ids[user], query, **variables)
        for key in path.split("."):
            data = data[key]
        return str(data)

    ids["parent"] = run("ada", ACCOUNT, "createAccount.account.id", n="Ada Parent")
    ids["child"] = run("cy", ACCOUNT, "createAccount.account.id", n="Cy Child", p=ids["parent"])
    ids["grandchild"] = run(
        "ada", ACCOUNT, "createAccount.account.id", n="Ada Grandchild", p=ids["child"]
    )
    ids["cy_contact"] = run("cy", CONTACT, "createContact.contact.id", a=ids["child"])
    made = "createDeal.deal.id"
    ids["ada_deal"] = run("ada", DEAL, made, t="ada deal", v=10, a=ids["parent"])
    ids["cy_deal"] = run("cy", DEAL, made, t="cy deal", v=1000, a=ids["child"])
    ids["ada_on_cy"] = run("ada", DEAL, made, t="ada on cy", v=5, a=ids["child"],
                           c=ids["cy_contact"])  # fmt: skip
    ids["bob_deal"] = run("bob", DEAL, made, t="bob deal", v=1, a=ids["parent"])
    run("cy", TASK, "createTask.task.id", t="cy calls ada's customer", a=ids["parent"])
    return ids


HIERARCHY = """query($id: ID!) {
  accountHierarchy(accountId: $id) { children { name } descendants { account { name } depth } }
  account(id: $id) { totalDealValue(includeDescendants: true) }
}"""


@pytest.mark.parametrize(
    ("role", "children", "descendants", "total"),
    [("own_reader", [], [("Ada Grandchild", 2)], 15.0),
     ("tenant_reader", ["Cy Child"], [("Cy Child", 1), ("Ada Grandchild", 2)], 1016.0)],
)  # fmt: skip
def test_an_account_hierarchy_shows_and_sums_only_readable_rows(
    stack: Stack, tenant: str, world: dict[str, str], role: str, children: list[str],
    descendants: list[tuple[str, int]], total: float,
) -> None:  # fmt: skip
    """A hidden relative is left out (the others keep their true depth); the deal sum below
    the account counts only the caller's deals: ada's 10 and 5, not cy's 1000."""
    data = as_(stack, tenant, world["ada"], HIERARCHY, role, "north", id=world["parent"])
    tree = data["accountHierarchy"]
    assert [c["name"] for c in tree["children"]] == children
    assert [(d["account"]["name"], d["depth"]) for d in tree["descendants"]] == descendants
    assert data["account"]["totalDealValue"] == total


JOURNEY = """query($a: ID, $c: ID) { customerJourney(accountId: $a, contactId: $c, first: 50) {
  totalCount edges { node { kind summary } } } }"""


def test_a_customer_journey_shows_only_readable_steps(
    stack: Stack, tenant: str, world: dict[str, str]
) -> None:
    def summaries(role: str) -> set[str]:
        data = as_(stack, tenant, world["ada"], JOURNEY, role, "north", a=world["parent"])
        return {e["node"]["summary"] for e in data["customerJourney"]["edges"]}

    assert summaries("own_reader") == {"deal opened: ada deal"}
    assert summaries("tenant_reader") == {"deal opened: ada deal", "deal opened: bob deal",
                                          "task: cy calls ada's customer"}  # fmt: skip
    # the journey of a contact the caller may not read is not found, as another tenant's
    headers = bearer(stack, tenant, user_id=world["ada"], roles=("own_reader",), team="north")
    body = stack.graphql(JOURNEY, {"c": world["cy_contact"]}, headers=headers).json()
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND", body


FILTERED = """query($n: String!) {
  byAccount: deals(first: 50, filter: {account: {name: {eq: $n}}}) { totalCount }
  byContact: deals(first: 50, filter: {contact: {lastName: {eq: "Hidden"}}}) { totalCount }
}"""


@pytest.mark.parametrize(("role", "found"), [("own_reader", 0), ("tenant_reader", 2)])
def test_a_filter_on_a_related_table_matches_only_readable_rows(
    stack: Stack, tenant: str, world: dict[str, str], role: str, found: int
) -> None:
    """ada's deal "ada on cy" is on cy's account with cy's contact: filtering her deals by
    their names would tell her those names, one guess at a time."""
    data = as_(stack, tenant, world["ada"], FILTERED, role, "north", n="Cy Child")
    assert data["byAccount"]["totalCount"] == found
    assert data["byContact"]["totalCount"] == min(found, 1)


@pytest.mark.parametrize(
    ("role", "names"),
    [("own_reader", (None, None)), ("tenant_reader", ("Cyrus Hidden", "Cy Child"))],
)
def test_the_rest_export_names_only_readable_contacts_and_accounts(
    stack: Stack, tenant: str, world: dict[str, str], role: str, names: tuple[str | None, ...]
) -> None:
    headers = bearer(stack, tenant, user_id=world["ada"], roles=(role,), team="north")
    reply = httpx.post(stack.rest_url + "/api/v1/bulk/deals/export", headers=headers, timeout=60,
                       json={"export_format": "json", "fields": ["title", "contact.name",
                                                                  "account.name"]})  # fmt: skip
    assert reply.status_code == 200, reply.text
    rows = {deal["title"]: deal for deal in reply.json()["data"]}
    assert (rows["ada on cy"]["contact.name"], rows["ada on cy"]["account.name"]) == names
    assert rows["ada deal"]["account.name"] == "Ada Parent"


async def test_a_subscription_stops_sending_a_user_moved_out_of_the_team(
    stack: Stack, tenant: str, world: dict[str, str]
) -> None:
    """bob leaves north while ada's team-level subscription is open: his deal's events stop
    reaching her within CREDENTIAL_CHECK_SECONDS (the team is read again at that interval)."""
    params = bearer(stack, tenant, user_id=world["ada"], roles=("team_reader",), team="north")
    async with connect(ws_url(stack), params=params) as client:
        id_ = await client.subscribe(UPDATED)
        await asyncio.to_thread(all_listening, stack, tenant, len(DEAL_CHANGES))

        async def move_bob() -> None:
            async with stack.runtime.sessions() as session, session.begin():
                await session.execute(update(models.User).where(
                    models.User.id == UUID(world["bob"])).values(team="south"))  # fmt: skip

        await asyncio.to_thread(stack.call, move_bob)
        await asyncio.sleep(stack.settings.credential_check_seconds + 0.5)
        for name in ("bob", "ada"):
            await asyncio.to_thread(
                as_, stack, tenant, world[name], UPDATE, id=world[f"{name}_deal"], t=f"{name} 3"
            )
        got: list[str] = []
        while not got or got[-1] != "ada 3":
            async with asyncio.timeout(10):
                message = await client.receive()
            if message.get("id") == id_ and message["type"] == "next":
                got.append(message["payload"]["data"]["dealUpdated"]["title"])
    assert got == ["ada 3"]


def test_own_relatives_past_a_hundred_hidden_ones_still_show(
    stack: Stack, tenant: str, world: dict[str, str]
) -> None:
    """101 more children of cy's come before ada's grandchild (depth 1 before 2): the
    hundred descendants an own-level reader sees are the first hundred it may read."""

    async def children() -> None:  # as createAccount makes them, events and all
        cy = Scope(tenant_id=tenant, user_id=UUID(world["cy"]))
        async with stack.runtime.sessions() as session, session.begin():
            for i in range(101):
                new = accounts.NewAccount(name=f"Cy {i}", parent_account_id=UUID(world["parent"]))
                await accounts.create_account(session, scope=cy, data=new)

    stack.call(children)
    query = """query($id: ID!) { accountHierarchy(accountId: $id) {
      descendants { account { name } depth } } }"""
    mine = as_(stack, tenant, world["ada"], query, "own_reader", "north", id=world["parent"])
    assert mine["accountHierarchy"]["descendants"] == [
        {"account": {"name": "Ada Grandchild"}, "depth": 2}
    ]
    everyone = as_(stack, tenant, world["ada"], query, "tenant_reader", id=world["parent"])
    assert len(everyone["accountHierarchy"]["descendants"]) == 100
    assert all(d["depth"] == 1 for d in everyone["accountHierarchy"]["descendants"])
