"""Leads through the router: filters and sorting, updates, deletes, qualification, scoring."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import select

from crmgraph.db import models
from crmgraph.db.scoping import Scope
from crmgraph.domain import lead_scoring, leads
from tests.stack import Stack

CREATE = """mutation($input: CreateLeadInput!) { createLead(input: $input) { lead { id } } }"""
LEAD = """query($id: ID!) { lead(id: $id) {
  firstName email phone company status score qualificationNotes nextAction isQualified } }"""


def ok(stack: Stack, query: str, tenant: str, **variables: Any) -> dict[str, Any]:
    response = stack.graphql(query, variables, tenant=tenant)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body.get("errors") is None, body
    data: dict[str, Any] = body["data"]
    return data


def failure(stack: Stack, query: str, tenant: str, **variables: Any) -> list[tuple[str, ...]]:
    """(code, field) of each error; the mutation's data is null."""
    body = stack.graphql(query, variables, tenant=tenant).json()
    assert body.get("data") in (None, {}) or all(v is None for v in body["data"].values()), body
    return [(e["extensions"]["code"], e["extensions"].get("field")) for e in body["errors"]]


def make_lead(stack: Stack, tenant: str, **fields: Any) -> str:
    data = {"firstName": "Jane", "lastName": "Smith", "email": "jane@prospect.com",
            "source": "Website", **fields}  # fmt: skip
    lead_id: str = ok(stack, CREATE, tenant, input=data)["createLead"]["lead"]["id"]
    return lead_id


def test_leads_filter_by_status_score_and_email_sorted_by_score(stack: Stack, tenant: str) -> None:
    make_lead(stack, tenant, email="a@x.com", score=30, status="NEW")
    make_lead(stack, tenant, email="b@x.com", score=80, status="QUALIFIED")
    make_lead(stack, tenant, email="c@x.com", score=60, status="CONTACTED")
    make_lead(stack, tenant, email="d@y.com", score=90, status="UNQUALIFIED")
    query = """query($filter: LeadFilter, $sort: LeadSort) { leads(filter: $filter, sort: $sort,
      first: 10) { totalCount edges { node { email score status } } } }"""

    found = ok(
        stack,
        query,
        tenant,
        filter={"status": {"nin": ["UNQUALIFIED"]}, "score": {"gte": 50},
                "email": {"endsWith": "@X.COM"}},
        sort={"field": "SCORE", "direction": "DESC"},
    )  # fmt: skip

    assert found == {
        "leads": {
            "totalCount": 2,
            "edges": [
                {"node": {"email": "b@x.com", "score": 80, "status": "QUALIFIED"}},
                {"node": {"email": "c@x.com", "score": 60, "status": "CONTACTED"}},
            ],
        }
    }


def test_leads_filter_by_custom_field_and_company_sorted_by_company(
    stack: Stack, tenant: str
) -> None:
    make_lead(stack, tenant, company="Beta", customFields={"budget": "high"})
    make_lead(stack, tenant, company="Alpha", customFields={"budget": "high"})
    make_lead(stack, tenant, company="Gamma", customFields={"budget": "low"})
    query = """{ leads(filter: {customFields: {key: "budget", eq: "high"},
      company: {in: ["Alpha", "Beta", "Gamma"]}}, sort: {field: COMPANY}) {
      edges { node { company } } } }"""

    assert ok(stack, query, tenant) == {
        "leads": {"edges": [{"node": {"company": "Alpha"}}, {"node": {"company": "Beta"}}]}
    }


def test_sorted_leads_page_forward_with_cursors(stack: Stack, tenant: str) -> None:
    for name in ("Dora", "Bob", "Eve", "Al", "Cy"):
        make_lead(stack, tenant, firstName=name)
    query = """query($after: String) { leads(first: 2, after: $after,
      sort: {field: FIRST_NAME, direction: DESC}) {
      edges { node { firstName } } pageInfo { hasNextPage endCursor } } }"""
    seen, after = [], None
    while True:
        page = ok(stack, query, tenant, after=after)["leads"]
        seen += [e["node"]["firstName"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]

    assert seen == ["Eve", "Dora", "Cy", "Bob", "Al"]


def test_update_lead_changes_only_given_fields(stack: Stack, tenant: str) -> None:
    lead_id = make_lead(stack, tenant, phone="+1-555", company="Prospect Inc", score=10)
    mutation = """mutation($id: ID!, $input: UpdateLeadInput!) { updateLead(id: $id,
      input: $input) { lead { firstName email phone company status score } } }"""

    updated = ok(stack, mutation, tenant, id=lead_id,
                 input={"email": "Jane@New.COM", "phone": None, "status": "CONTACTED"})  # fmt: skip

    assert updated == {
        "updateLead": {
            "lead": {"firstName": "Jane", "email": "jane@new.com", "phone": None,
                     "company": "Prospect Inc", "status": "CONTACTED", "score": 10}
        }
    }  # fmt: skip


UPDATE = """mutation($id: ID!, $input: UpdateLeadInput!) {
  updateLead(id: $id, input: $input) { lead { id } } }"""
SCORE = """mutation($id: ID!, $score: Int!) { updateLeadScore(leadId: $id, score: $score) {
  score } }"""
QUALIFY = """mutation($id: ID!, $input: QualifyLeadInput!) {
  qualifyLead(leadId: $id, input: $input) { lead { id } } }"""


# updateLead's field rules are unit tests (tests/unit/domain/test_leads.py); one case shows
# them reaching the client. The score mutations check inside their session.
@pytest.mark.parametrize(
    ("mutation", "variables", "expected"),
    [
        (UPDATE, {"input": {"email": "not-mail"}}, ("VALIDATION_ERROR", "email")),
        (SCORE, {"score": 101}, ("VALIDATION_ERROR", "score")),
        (SCORE, {"score": -1}, ("VALIDATION_ERROR", "score")),
        (QUALIFY, {"input": {"score": 101}}, ("VALIDATION_ERROR", "score")),
    ],
)
def test_invalid_lead_changes_name_the_field_and_change_nothing(
    stack: Stack, tenant: str, mutation: str, variables: dict[str, Any], expected: tuple[str, str]
) -> None:
    lead_id = make_lead(stack, tenant, score=40)
    before = ok(stack, LEAD, tenant, id=lead_id)

    assert failure(stack, mutation, tenant, id=lead_id, **variables) == [expected]
    assert ok(stack, LEAD, tenant, id=lead_id) == before
    history = "query($id: ID!) { lead(id: $id) { scoringHistory { newScore } } }"
    assert ok(stack, history, tenant, id=lead_id) == {"lead": {"scoringHistory": []}}


def test_unknown_lead_is_not_found(stack: Stack, tenant: str) -> None:
    other = str(uuid.uuid4())

    assert failure(stack, UPDATE, tenant, id=other, input={"score": 1}) == [("NOT_FOUND", "id")]
    assert failure(stack, QUALIFY, tenant, id=other, input={}) == [("NOT_FOUND", "leadId")]


def test_qualify_lead_sets_status_notes_and_records_the_score_change(
    stack: Stack, tenant: str
) -> None:
    lead_id = make_lead(stack, tenant, score=40)
    mutation = """mutation($id: ID!) { qualifyLead(leadId: $id, input: {
      qualificationNotes: "Budget confirmed", score: 90, nextAction: "Schedule demo"}) {
      lead { status score qualificationNotes nextAction isQualified
             scoringHistory { previousScore newScore scoringFactors { factor } } } } }"""

    assert ok(stack, mutation, tenant, id=lead_id) == {
        "qualifyLead": {
            "lead": {
                "status": "QUALIFIED",
                "score": 90,
                "qualificationNotes": "Budget confirmed",
                "nextAction": "Schedule demo",
                "isQualified": True,
                "scoringHistory": [{"previousScore": 40, "newScore": 90, "scoringFactors": []}],
            }
        }
    }


def test_update_lead_score_keeps_history_newest_first(stack: Stack, tenant: str) -> None:
    lead_id = make_lead(stack, tenant, score=20, company="Prospect Inc")
    mutation = """mutation($id: ID!, $score: Int!, $factors: [ScoringFactorInput!]) {
      updateLeadScore(leadId: $id, score: $score, scoringFactors: $factors) {
        lead { company } score newScore previousScore scoringFactors { factor points reason } } }"""
    ok(stack, mutation, tenant, id=lead_id, score=50, factors=[{"factor": "Email opened"}])

    second = ok(
        stack, mutation, tenant, id=lead_id, score=85,
        factors=[{"factor": "Demo requested", "points": 35, "reason": "asked for a demo"}],
    )  # fmt: skip
    query = """query($id: ID!) { leadScoring(leadId: $id) { score newScore previousScore
      scoringFactors { factor points reason } }
      lead(id: $id) { score
        scoringHistory { previousScore newScore scoringFactors { factor } } } }"""

    factor = {"factor": "Demo requested", "points": 35, "reason": "asked for a demo"}
    assert second == {
        "updateLeadScore": {"lead": {"company": "Prospect Inc"}, "score": 85, "newScore": 85,
                            "previousScore": 50, "scoringFactors": [factor]}
    }  # fmt: skip
    assert ok(stack, query, tenant, id=lead_id) == {
        "leadScoring": {"score": 85, "newScore": 85, "previousScore": 50,
                        "scoringFactors": [factor]},
        "lead": {
            "score": 85,
            "scoringHistory": [
                {"previousScore": 50, "newScore": 85,
                 "scoringFactors": [{"factor": "Demo requested"}]},
                {"previousScore": 20, "newScore": 50,
                 "scoringFactors": [{"factor": "Email opened"}]},
            ],
        },
    }  # fmt: skip


def test_lead_scoring_without_history_is_the_current_score(stack: Stack, tenant: str) -> None:
    lead_id = make_lead(stack, tenant, score=75)
    query = """query($id: ID!, $other: ID!) {
      leadScoring(leadId: $id) { score newScore previousScore scoringFactors { factor } timestamp }
      missing: leadScoring(leadId: $other) { score } }"""

    assert ok(stack, query, tenant, id=lead_id, other=str(uuid.uuid4())) == {
        "leadScoring": {"score": 75, "newScore": 75, "previousScore": None,
                        "scoringFactors": [], "timestamp": None},
        "missing": None,
    }  # fmt: skip


async def make_user(stack: Stack, tenant: str) -> uuid.UUID:
    async with stack.runtime.sessions() as session, session.begin():
        user = models.User(tenant_id=tenant, email="owner@crm.test", name="Olive Owner")
        session.add(user)
    return user.id


def test_lead_owner_is_resolved_by_the_accounts_subgraph(stack: Stack, tenant: str) -> None:
    user_id = stack.call(lambda: make_user(stack, tenant))
    headers = {"authorization": f"Bearer {stack.token(tenant, user_id=user_id)}"}
    data = {"firstName": "O", "lastName": "W", "email": "o@w.com", "source": "Referral"}
    created = stack.graphql(
        """mutation($input: CreateLeadInput!) { createLead(input: $input) {
          lead { owner { id name } } } }""",
        {"input": data},
        headers=headers,
    ).json()

    assert created == {
        "data": {"createLead": {"lead": {"owner": {"id": str(user_id), "name": "Olive Owner"}}}}
    }


async def topics(stack: Stack, aggregate_id: str) -> list[str]:
    event = models.OutboxEvent
    stmt = select(event.topic).where(event.aggregate_id == uuid.UUID(aggregate_id))
    async with stack.runtime.sessions() as session:
        return list(await session.scalars(stmt.order_by(event.sequence)))


def test_delete_lead_removes_it_and_records_an_event(stack: Stack, tenant: str) -> None:
    lead_id = make_lead(stack, tenant, score=10)
    ok(stack, SCORE, tenant, id=lead_id, score=20)

    deleted = ok(stack, "mutation($id: ID!) { deleteLead(id: $id) { id deleted } }", tenant,
                 id=lead_id)  # fmt: skip

    assert deleted == {"deleteLead": {"id": lead_id, "deleted": True}}
    assert ok(stack, LEAD, tenant, id=lead_id) == {"lead": None}
    assert ok(stack, "{ leads { totalCount } }", tenant) == {"leads": {"totalCount": 0}}
    assert stack.call(lambda: topics(stack, lead_id)) == [
        "lead.created", "lead.scored", "lead.deleted"
    ]  # fmt: skip


async def make_scored_leads(stack: Stack, tenant: str, n: int) -> None:
    scope = Scope(tenant_id=tenant)
    async with stack.runtime.sessions() as session, session.begin():
        for i in range(n):
            data = leads.NewLead(first_name="L", last_name=str(i), email=f"l{i}@x.com", source="S")
            lead = await leads.create_lead(session, scope=scope, data=data)
            await lead_scoring.update_lead_score(session, scope=scope, lead_id=lead.id, score=i)


def test_page_of_30_leads_with_history_runs_no_more_statements_than_page_of_3(
    stack: Stack, tenant: str
) -> None:
    stack.call(lambda: make_scored_leads(stack, tenant, 30))
    query = """query($n: Int!) { leads(first: $n) { edges { node {
      fullName owner { id } scoringHistory { newScore } } } } }"""
    counts = {}
    for n in (3, 30):
        with stack.counting_statements() as statements:
            edges = ok(stack, query, tenant, n=n)["leads"]["edges"]
        assert [e["node"]["scoringHistory"] for e in edges] == [[{"newScore": i}] for i in range(n)]
        counts[n] = statements[0]

    assert counts[30] <= counts[3], counts
