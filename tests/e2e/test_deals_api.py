"""The deals API of the design document, through the router against PostgreSQL."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import text

from crmgraph.db.scoping import Scope
from crmgraph.domain import contacts
from tests.factories import make_deal_world, make_pipeline
from tests.stack import Stack

# Verbatim from the API design (004), "Complex Query Patterns".
GET_DEALS_WITH_COMPLEX_FILTER = """
query GetDealsWithComplexFilter {
  deals(
    filter: {
      value: { gte: 10000, lte: 100000 }
      stage: { in: ["qualification", "proposal"] }
      expectedCloseDate: { gte: "2025-01-01", lte: "2025-03-31" }
      account: { industry: { eq: "Technology" } }
      contact: { email: { contains: "@enterprise.com" } }
    }
    sort: { field: VALUE, direction: DESC }
    pagination: { first: 20, after: "cursor123" }
  ) {
    edges {
      node {
        id
        title
        value
        stage
        expectedCloseDate
        contact {
          fullName
          email
          company
        }
        account {
          name
          industry
        }
        activities(first: 5) {
          edges {
            node {
              ... on Task {
                title
                dueDate
                isOverdue
              }
              ... on Event {
                title
                startTime
                duration
              }
            }
          }
        }
      }
      cursor
    }
    pageInfo {
      hasNextPage
      hasPreviousPage
      startCursor
      endCursor
    }
    totalCount
  }
}
"""

EXPECTED_SQL = """
SELECT d.id FROM deals d
JOIN pipeline_stages s ON s.id = d.stage_id
JOIN accounts a ON a.id = d.account_id
JOIN contacts c ON c.id = d.contact_id
WHERE d.tenant_id = :tenant
  AND d.value BETWEEN 10000 AND 100000
  AND lower(s.name) IN ('qualification', 'proposal')
  AND d.expected_close_date >= '2025-01-01T00:00:00Z'
  AND d.expected_close_date <= '2025-03-31T00:00:00Z'
  AND a.industry = 'Technology'
  AND c.email ILIKE '%@enterprise.com%'
ORDER BY d.value DESC, d.id DESC
"""


def data(stack: Stack, query: str, tenant: str, **variables: Any) -> dict[str, Any]:
    body = stack.graphql(query, variables, tenant=tenant).json()
    assert body.get("errors") is None, body
    result: dict[str, Any] = body["data"]
    return result


def errors(stack: Stack, query: str, tenant: str, **variables: Any) -> list[tuple[str, str]]:
    body = stack.graphql(query, variables, tenant=tenant).json()
    return [(e["extensions"]["code"], e["extensions"].get("field")) for e in body["errors"]]


def expected_ids(stack: Stack, tenant: str) -> list[str]:
    async def run() -> list[str]:
        async with stack.runtime.engine.connect() as conn:
            rows = await conn.execute(text(EXPECTED_SQL), {"tenant": tenant})
            return [str(row[0]) for row in rows]

    return stack.call(run)


def test_complex_filter_query_as_written_refuses_its_placeholder_cursor(
    stack: Stack, tenant: str
) -> None:
    stack.call(lambda: make_deal_world(stack.runtime.sessions, tenant, deals_count=30))

    assert errors(stack, GET_DEALS_WITH_COMPLEX_FILTER, tenant) == [("VALIDATION_ERROR", "after")]


def test_complex_filter_returns_exactly_what_sql_selects(stack: Stack, tenant: str) -> None:
    stack.call(lambda: make_deal_world(stack.runtime.sessions, tenant, deals_count=160))
    want = expected_ids(stack, tenant)
    assert 20 < len(want) < 160  # every condition rejects something, and there are 2+ pages

    seen: list[str] = []
    cursor = None
    while True:
        after = "" if cursor is None else f', after: "{cursor}"'
        query = GET_DEALS_WITH_COMPLEX_FILTER.replace(', after: "cursor123"', after)
        page = data(stack, query, tenant)["deals"]
        assert page["totalCount"] == len(want)
        for edge in page["edges"]:
            node = edge["node"]
            assert node["account"]["industry"] == "Technology"
            assert "@enterprise.com" in node["contact"]["email"].lower()
            assert node["stage"] in ("Qualification", "Proposal")
        seen += [edge["node"]["id"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        cursor = page["pageInfo"]["endCursor"]

    assert seen == want


def test_complex_filter_statements_do_not_grow_with_page_size(stack: Stack, tenant: str) -> None:
    stack.call(lambda: make_deal_world(stack.runtime.sessions, tenant, deals_count=160))
    wide = GET_DEALS_WITH_COMPLEX_FILTER.replace(
        "value: { gte: 10000, lte: 100000 }", "value: { gte: 0 }"
    ).replace('expectedCloseDate: { gte: "2025-01-01", lte: "2025-03-31" }', "")
    counts = {}
    for size in (5, 50):
        query = wide.replace('first: 20, after: "cursor123"', f"first: {size}")
        with stack.counting_statements() as statements:
            page = data(stack, query, tenant)["deals"]
        assert len(page["edges"]) == size
        counts[size] = statements[0]

    assert counts[50] == counts[5], counts


def test_pagination_visits_120_deals_once_forward_and_backward(stack: Stack, tenant: str) -> None:
    stack.call(lambda: make_deal_world(stack.runtime.sessions, tenant, deals_count=120))
    # expectedCloseDate has NULLs and duplicates: the id must break every tie.
    query = """query($after: String, $before: String, $first: Int, $last: Int) {
      deals(sort: {field: EXPECTED_CLOSE_DATE, direction: DESC}, first: $first, after: $after,
            last: $last, before: $before) {
        edges { node { id } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }"""
    forward: list[str] = []
    after = None
    while True:
        page = data(stack, query, tenant, first=25, after=after)["deals"]
        forward += [e["node"]["id"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    backward: list[str] = []
    before = None
    while True:
        page = data(stack, query, tenant, last=25, before=before)["deals"]
        backward = [e["node"]["id"] for e in page["edges"]] + backward
        if not page["pageInfo"]["hasPreviousPage"]:
            break
        before = page["pageInfo"]["startCursor"]

    assert len(forward) == 120
    assert len(set(forward)) == 120
    assert backward == forward


def test_move_deal_stage_records_who_when_from_to_and_why(stack: Stack, tenant: str) -> None:
    user_id = uuid.uuid4()

    async def setup() -> tuple[str, str]:
        async with stack.runtime.sessions() as session, session.begin():
            _, stages = await make_pipeline(session, Scope(tenant_id=tenant))
        return str(stages["Qualification"].id), str(stages["Closed Won"].id)

    qualification, won = stack.call(setup)
    token = stack.token(tenant, user_id=user_id)
    created = stack.graphql(
        'mutation($s: ID!) { createDeal(input: {title: "T", value: 10, stageId: $s}) '
        "{ deal { id } } }",
        {"s": qualification},
        headers={"authorization": f"Bearer {token}"},
    ).json()["data"]["createDeal"]["deal"]
    moved = stack.graphql(
        """mutation($d: ID!, $s: ID!) { moveDealStage(dealId: $d, stageId: $s, reason: "signed") {
          deal { stage status probability actualCloseDate }
          stageChange { previousStage newStage reason changedBy { id } } } }""",
        {"d": created["id"], "s": won},
        headers={"authorization": f"Bearer {token}"},
    ).json()
    assert moved.get("errors") is None, moved
    payload = moved["data"]["moveDealStage"]
    assert payload["deal"]["actualCloseDate"] is not None
    payload["deal"]["actualCloseDate"] = "set"

    assert payload == {
        "deal": {"stage": "Closed Won", "status": "WON", "probability": 100,
                 "actualCloseDate": "set"},
        "stageChange": {"previousStage": "Qualification", "newStage": "Closed Won",
                        "reason": "signed", "changedBy": {"id": str(user_id)}},
    }  # fmt: skip
    history = data(
        stack,
        "query($id: ID!) { deal(id: $id) { stageHistory { previousStage newStage reason } } }",
        tenant,
        id=created["id"],
    )
    assert history == {"deal": {"stageHistory": [
        {"previousStage": None, "newStage": "Qualification", "reason": "created"},
        {"previousStage": "Qualification", "newStage": "Closed Won", "reason": "signed"},
    ]}}  # fmt: skip


def test_customer_overview_spans_contacts_and_deals(stack: Stack, tenant: str) -> None:
    async def setup() -> str:
        scope = Scope(tenant_id=tenant)
        async with stack.runtime.sessions() as session, session.begin():
            await make_pipeline(session, scope)
            contact = await contacts.create_contact(
                session, scope=scope, data=contacts.NewContact(first_name="Ada", last_name="L")
            )
        return str(contact.id)

    contact_id = stack.call(setup)
    for value in (100, 250):
        data(stack, 'mutation($c: ID!, $v: Float!) { createDeal(input: {title: "D", value: $v, '
             "contactId: $c}) { deal { id } } }", tenant, c=contact_id, v=value)  # fmt: skip
    query = """query($id: ID!) { customerOverview(customerId: $id) {
      contact { fullName } deals { title value } totalValue } }"""

    assert data(stack, query, tenant, id=contact_id) == {
        "customerOverview": {
            "contact": {"fullName": "Ada L"},
            "deals": [{"title": "D", "value": 100.0}, {"title": "D", "value": 250.0}],
            "totalValue": 350.0,
        }
    }
