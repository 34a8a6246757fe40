"""Errors through the router: GraphQL errors in the documented format, never a 500."""

from __future__ import annotations

from tests.routers import per_router
from tests.stack import Stack


def test_syntax_error_is_a_graphql_error(stack: Stack, tenant: str) -> None:
    response = stack.graphql("{ deals(first: 5 { edges }", tenant=tenant)

    assert response.status_code in (200, 400)
    body = response.json()
    assert body.get("data") is None
    # Hive Router: "Failed to parse GraphQL operation: Parse error at 1:18 ...".
    assert per_router("Syntax Error", "Parse error at 1:18") in body["errors"][0]["message"]


def test_unknown_field_is_a_validation_error(stack: Stack, tenant: str) -> None:
    response = stack.graphql("{ deals(first: 5) { edges { node { nope } } } }", tenant=tenant)

    assert response.status_code in (200, 400)
    assert "nope" in response.json()["errors"][0]["message"]


def test_invalid_email_keeps_code_and_field_and_changes_nothing(stack: Stack, tenant: str) -> None:
    response = stack.graphql(
        'mutation { createContact(input: {firstName: "A", lastName: "B", email: "not-mail"})'
        " { contact { id } } }",
        tenant=tenant,
    )

    assert response.status_code == 200
    body = response.json()
    assert [
        (e["message"], e["extensions"]["code"], e["extensions"]["field"]) for e in body["errors"]
    ] == [("Invalid email format", "VALIDATION_ERROR", "email")]
    listed = stack.graphql("{ contacts(first: 5) { totalCount } }", tenant=tenant).json()
    assert listed == {"data": {"contacts": {"totalCount": 0}}}


def test_request_without_token_is_unauthenticated(stack: Stack) -> None:
    response = stack.graphql("{ deals(first: 1) { totalCount } }")

    assert response.status_code == 200
    codes = [e["extensions"]["code"] for e in response.json()["errors"]]
    assert codes == ["UNAUTHENTICATED"]


def test_router_forwards_authorization_to_entity_lookups(stack: Stack, tenant: str) -> None:
    # The account lives in tenant; the contact subgraph resolves Account.contacts through
    # _entities, which must see the same caller to find anything.
    created = stack.graphql(
        'mutation { createAccount(input: {name: "Fwd"}) { account { id } } }', tenant=tenant
    ).json()
    assert "errors" not in created, created  # see tests/e2e/test_keep_alive.py
    account = created["data"]["createAccount"]["account"]
    stack.graphql(
        'mutation($a: ID!) { createContact(input: {firstName: "F", lastName: "W", accountId: $a})'
        " { contact { id } } }",
        {"a": account["id"]},
        tenant=tenant,
    )
    query = "query($id: ID!) { account(id: $id) { name contacts(first: 5) { totalCount } } }"

    body = stack.graphql(query, {"id": account["id"]}, tenant=tenant).json()

    assert body == {"data": {"account": {"name": "Fwd", "contacts": {"totalCount": 1}}}}
