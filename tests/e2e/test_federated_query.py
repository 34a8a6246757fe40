"""Through the real router: mutations in three subgraphs, then one query spanning them."""

from __future__ import annotations

from typing import Any

from tests.stack import Stack

CREATE_PIPELINE = """
mutation { createPipeline(input: {name: "Sales", stages: [
  {name: "Qualification", order: 1, probability: 25},
  {name: "Proposal", order: 2, probability: 50}]}) { pipeline { id stages { id name } } } }
"""
CREATE_ACCOUNT = """
mutation($name: String!) { createAccount(input: {name: $name, industry: "Technology"}) {
  account { id name } } }
"""
CREATE_CONTACT = """
mutation($accountId: ID!) { createContact(input: {firstName: "Ada", lastName: "Lovelace",
  email: "ada@enterprise.com", accountId: $accountId}) { contact { id fullName } } }
"""
CREATE_DEAL = """
mutation($contactId: ID!, $stage: String!) { createDeal(input: {title: "Analytical engine",
  value: 50000, contactId: $contactId, stage: $stage}) { deal { id title stage } } }
"""
DEALS = "{ deals(first: 5) { edges { node { title contact { fullName account { name } } } } } }"


def ok(stack: Stack, query: str, tenant: str, **variables: Any) -> dict[str, Any]:
    response = stack.graphql(query, variables, tenant=tenant)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body.get("errors") is None, body
    data: dict[str, Any] = body["data"]
    return data


def test_query_spans_deals_contacts_and_accounts(stack: Stack, tenant: str) -> None:
    ok(stack, CREATE_PIPELINE, tenant)
    account = ok(stack, CREATE_ACCOUNT, tenant, name="Enterprise Corp")["createAccount"]["account"]
    contact = ok(stack, CREATE_CONTACT, tenant, accountId=account["id"])["createContact"]
    deal = ok(stack, CREATE_DEAL, tenant, contactId=contact["contact"]["id"], stage="proposal")

    assert deal["createDeal"]["deal"]["stage"] == "Proposal"
    assert ok(stack, DEALS, tenant) == {
        "deals": {
            "edges": [
                {
                    "node": {
                        "title": "Analytical engine",
                        "contact": {
                            "fullName": "Ada Lovelace",
                            "account": {"name": "Enterprise Corp"},
                        },
                    }
                }
            ]
        }
    }


def test_deals_query_hides_other_tenants(stack: Stack, tenant: str) -> None:
    ok(stack, CREATE_PIPELINE, tenant)
    ok(stack, 'mutation { createDeal(input: {title: "Mine", value: 1}) { deal { id } } }', tenant)
    other = f"{tenant}_other"

    assert ok(stack, DEALS, other) == {"deals": {"edges": []}}
