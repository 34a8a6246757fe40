"""Customer health through the router: customerHealth and Account.health from the data the
subgraphs hold, the tenant's weights, who may read and set them."""

from __future__ import annotations

import uuid

import httpx

from crmgraph.db.scoping import Scope
from tests.e2e.test_rbac import as_role, override_role
from tests.factories import make_account
from tests.integration.test_health_facts import customer
from tests.stack import Stack

HEALTH = """
query ($id: ID!) {
  customerHealth(accountId: $id) {
    accountId accountName score status direction previousScore
    components { name score weight factors { name value points } }
    riskFactors { type severity }
    opportunities { type }
    trend { month score }
  }
  accounts(first: 10) { edges { node { id health(months: 2) { score status trend { month } } } } }
}
"""
WEIGHTS = """
mutation ($input: HealthWeightsInput!) {
  setCustomerHealthWeights(input: $input) { support financial delivery engagement }
}
"""


def seeded(stack: Stack, tenant: str) -> tuple[str, str]:
    """A customer with a ticket, an overdue task, a call, an event and an open deal at 50%,
    and an account with nothing."""

    async def run() -> tuple[str, str]:
        async with stack.runtime.sessions() as session, session.begin():
            scope = Scope(tenant_id=tenant)
            busy = await customer(session, scope, "Busy")
            quiet = await make_account(session, scope, name="Quiet")
        return str(busy), str(quiet.id)

    return stack.call(run)


def test_customer_health_and_account_health_through_the_router(stack: Stack, tenant: str) -> None:
    busy, quiet = seeded(stack, tenant)
    body = as_role(stack, tenant, "sales_manager", HEALTH, id=busy)
    assert body.get("errors") is None, body
    health = body["data"]["customerHealth"]
    scores = {c["name"]: c["score"] for c in health["components"]}
    # support 100-10-10; financial 25 (nothing closed) + 20 (open value); delivery
    # 60 x 0.5 + 40 (in its stage under the 1-day floor of the average); engagement
    # 60 (2 days ago) + 2 x 4
    assert scores == {"support": 80.0, "financial": 45.0, "delivery": 70.0, "engagement": 68.0}
    assert (health["accountId"], health["accountName"]) == (busy, "Busy")
    assert (health["score"], health["status"]) == (64.1, "AT_RISK")  # 6405 / 100
    assert [c["weight"] for c in health["components"]] == [30, 35, 25, 10]
    assert len(health["trend"]) == 6
    assert {"type": "overdue_tasks", "severity": "low"} in health["riskFactors"]
    nodes = {e["node"]["id"]: e["node"]["health"] for e in body["data"]["accounts"]["edges"]}
    assert nodes[busy]["score"] == 64.1 and len(nodes[busy]["trend"]) == 2
    assert (nodes[quiet]["score"], nodes[quiet]["status"]) == (51.3, "AT_RISK")

    unknown = as_role(stack, tenant, "sales_manager", HEALTH, id=str(uuid.uuid4()))
    assert unknown["data"]["customerHealth"] is None
    other_tenant = as_role(stack, f"{tenant}_x", "sales_manager", HEALTH, id=busy)
    assert other_tenant["data"]["customerHealth"] is None
    assert other_tenant["data"]["accounts"]["edges"] == []


def test_support_agents_may_not_read_health(stack: Stack, tenant: str) -> None:
    busy, _ = seeded(stack, tenant)
    query = "query ($id: ID!) { customerHealth(accountId: $id) { score } }"
    (error,) = as_role(stack, tenant, "support_agent", query, id=busy)["errors"]
    assert error["extensions"]["code"] == "FORBIDDEN"
    assert error["extensions"]["required_permissions"] == ["deals:read"]


def test_rest_health_needs_what_graphql_health_needs(stack: Stack, tenant: str) -> None:
    """A sales rep whose tenant took activities:read from the role is refused health on both
    the GraphQL field and its REST twin, which needs all three of accounts, deals and
    activities (auth/needs.py HEALTH_READS)."""
    override_role(stack, tenant, "sales_rep", "accounts:read", "deals:read")
    busy, _ = seeded(stack, tenant)
    query = "query ($id: ID!) { customerHealth(accountId: $id) { score } }"
    (error,) = as_role(stack, tenant, "sales_rep", query, id=busy)["errors"]
    token = stack.token(tenant, user_id=uuid.uuid4(), roles=("sales_rep",))

    rest = httpx.get(f"{stack.rest_url}/api/v1/analytics/customer-health/{busy}",
                     headers={"authorization": f"Bearer {token}"})  # fmt: skip

    assert error["extensions"]["code"] == "FORBIDDEN"
    assert rest.status_code == 403, rest.text
    (refusal,) = rest.json()["errors"]
    assert refusal["code"] == "FORBIDDEN"
    assert refusal["details"]["required_permissions"] == [
        "accounts:read", "deals:read", "activities:read"]  # fmt: skip


def test_tenant_admins_set_the_weights(stack: Stack, tenant: str) -> None:
    busy, _ = seeded(stack, tenant)
    support_only = {"support": 1, "financial": 0, "delivery": 0, "engagement": 0}
    refused = as_role(stack, tenant, "sales_manager", WEIGHTS, input=support_only)
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    bad = as_role(stack, tenant, "tenant_admin", WEIGHTS, input={**support_only, "support": 0})
    assert bad["errors"][0]["extensions"]["code"] == "VALIDATION_ERROR"
    negative = as_role(stack, tenant, "tenant_admin", WEIGHTS,
                       input={**support_only, "delivery": -1})  # fmt: skip
    assert negative["errors"][0]["extensions"]["field"] == "delivery"
    set_ = as_role(stack, tenant, "tenant_admin", WEIGHTS, input=support_only)
    assert set_.get("errors") is None, set_
    assert set_["data"]["setCustomerHealthWeights"] == support_only
    query = """query ($id: ID!) {
      customerHealth(accountId: $id) { score } customerHealthWeights { support } }"""
    read = as_role(stack, tenant, "sales_rep", query, id=busy)
    assert read["data"] == {
        "customerHealth": {"score": 80.0},
        "customerHealthWeights": {"support": 1},
    }


def test_account_health_statements_do_not_grow_with_accounts(stack: Stack, tenant: str) -> None:
    query = "{ accounts(first: 20) { edges { node { health { score } } } } }"
    counts = []
    for _ in range(2):
        seeded(stack, tenant)  # two more accounts each time
        with stack.counting_statements() as statements:
            body = as_role(stack, tenant, "sales_manager", query)
        assert body.get("errors") is None, body
        counts.append((len(body["data"]["accounts"]["edges"]), statements[0]))
    assert [n for n, _ in counts] == [2, 4]
    assert counts[0][1] == counts[1][1]
