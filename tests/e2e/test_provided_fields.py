"""Deal.contact and Deal.account @provides: the deals subgraph answers a deal card's contact
and account fields itself. Through the router: the same values as their owners give, no
call to the contacts or accounts subgraph, and the owners' read permissions still hold."""

from __future__ import annotations

from typing import Any

from tests.factories import make_deal_world
from tests.stack import Stack

CARD_FIELDS = """contact { id firstName lastName fullName email company
  account { id name industry } } account { id name industry }"""
PAGE = "{ deals(first: 40) { edges { node { id " + CARD_FIELDS + " } } } }"
OWNERS = """query($c: ID!, $a: ID!) {
  contact(id: $c) { id firstName lastName fullName email company account { id name industry } }
  account(id: $a) { id name industry } }"""


def nodes(stack: Stack, token: str, query: str = PAGE) -> list[dict[str, Any]]:
    answer = stack.graphql(query, headers={"authorization": f"Bearer {token}"}).json()
    assert "errors" not in answer, answer
    return [edge["node"] for edge in answer["data"]["deals"]["edges"]]


def test_provided_contact_and_account_fields_equal_their_owners(stack: Stack, tenant: str) -> None:
    stack.call(lambda: make_deal_world(stack.runtime.sessions, tenant, deals_count=40))
    token = stack.token(tenant)
    page = nodes(stack, token)
    assert len(page) == 40
    cards = [node for node in page if node["contact"] and node["account"]]
    assert len(cards) >= 8
    for node in cards[:8]:
        variables = {"c": node["contact"]["id"], "a": node["account"]["id"]}
        owners = stack.graphql(OWNERS, variables, tenant=tenant).json()
        assert "errors" not in owners, owners
        assert node["contact"] == owners["data"]["contact"]
        assert node["account"] == owners["data"]["account"]


def test_a_deal_page_with_contacts_and_accounts_calls_only_the_deals_subgraph(
    stack: Stack, tenant: str
) -> None:
    """The router takes the card fields from deals: no request reaches contacts or accounts,
    and deals runs one statement per kind of row whatever the page size."""
    stack.call(lambda: make_deal_world(stack.runtime.sessions, tenant, deals_count=40))
    token = stack.token(tenant)
    nodes(stack, token)  # the tenant's role overrides are cached from here on
    before = dict(stack.requests)
    with stack.counting_statements() as statements:
        nodes(stack, token)
    called = {name for name, count in stack.requests.items() if count > before[name]}
    assert called == {"deals"}
    assert statements[0] <= 4, statements[0]  # deals, accounts, contacts, contacts' accounts

    # The count does see the owners when a field is not provided (the contact's phone).
    before = dict(stack.requests)
    nodes(stack, token, "{ deals(first: 5) { edges { node { id contact { phone } } } } }")
    assert stack.requests["contacts"] > before["contacts"]


def test_provided_fields_need_the_owners_read_permission(stack: Stack, tenant: str) -> None:
    stack.call(lambda: make_deal_world(stack.runtime.sessions, tenant, deals_count=5))
    deals_only = stack.token(tenant, roles=(), permissions=("deals:read",))
    headers = {"authorization": f"Bearer {deals_only}"}

    ids_only = "{ deals(first: 5) { edges { node { id contact { id } account { id } } } } }"
    answer = stack.graphql(ids_only, headers=headers).json()
    assert "errors" not in answer, answer

    names = "{ deals(first: 5) { edges { node { id contact { fullName } } } } }"
    answer = stack.graphql(names, headers=headers).json()
    assert {e["extensions"]["code"] for e in answer["errors"]} == {"FORBIDDEN"}
    assert "contacts:read" in answer["errors"][0]["extensions"]["required_permissions"]
    leaked = [
        edge["node"]["contact"]
        for edge in ((answer.get("data") or {}).get("deals") or {"edges": []})["edges"]
        if edge and edge["node"] and edge["node"].get("contact")
    ]
    assert leaked == []

    industry = "{ deals(first: 5) { edges { node { account { industry } } } } }"
    answer = stack.graphql(industry, headers=headers).json()
    assert {e["extensions"]["code"] for e in answer["errors"]} == {"FORBIDDEN"}
