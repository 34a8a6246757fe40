"""The plain lists the router's cost limit prices by a declared size hold no more than it:
lists the client writes are refused beyond it, lists of rows are cut to it when read."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from crmgraph.db.scoping import Scope
from crmgraph.domain import accounts, api_keys, bounds, deals, lead_scoring, leads
from tests.factories import make_pipeline
from tests.stack import Stack

COUNTS = "{ activities { totalCount } leads { totalCount } pipelines { id } }"


def ids(n: int) -> list[str]:
    return [str(uuid.uuid4()) for _ in range(n)]


def stages(n: int, rules: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    return [
        {"name": f"S{i}", "order": i, "probability": 10, "automationRules": rules} for i in range(n)
    ]


def rule(conditions: int = 0, actions: int = 1) -> dict[str, Any]:
    return {
        "trigger": "stage_entered",
        "conditions": [
            {"field": "value", "operator": "equals", "value": i} for i in range(conditions)
        ],
        "actions": [
            {"type": "create_task", "parameters": {"title": f"T{i}"}} for i in range(actions)
        ],
    }


COMMUNICATION = """mutation($p: [ID!]) { logCommunication(input: {type: EMAIL,
    direction: OUTBOUND, content: "hi", participants: $p}) { communication { id } } }"""
EVENT = """mutation($p: [ID!]) { createEvent(input: {title: "E", attendees: $p,
    startTime: "2030-01-01T10:00:00Z", endTime: "2030-01-01T11:00:00Z"}) { event { id } } }"""
PIPELINE = """mutation($p: [StageInput!]!) { createPipeline(input: {name: "P", stages: $p})
    { pipeline { id } } }"""

# (mutation, over the bound, at the bound, the refused field; at the bound the ids are unknown
# (NOT_FOUND), which shows the count itself passed). Every written bound is a unit test
# (tests/unit/domain/test_written_bounds.py); these show the refusal reaching the client and
# the request's transaction taking back what was written before the check (a pipeline row
# is added before its stages' rules are checked).
WRITTEN = [
    pytest.param(COMMUNICATION, ids(bounds.PARTICIPANTS + 1), ids(bounds.PARTICIPANTS),
                 "participants", "NOT_FOUND", id="participants"),
    pytest.param(PIPELINE, stages(1, [rule(conditions=bounds.RULE_CONDITIONS + 1)]),
                 stages(1, [rule(conditions=bounds.RULE_CONDITIONS)]),
                 "stages.0.automationRules.0.conditions", None, id="conditions"),
]  # fmt: skip


def counts(stack: Stack, tenant: str) -> Any:
    body = stack.graphql(COUNTS, tenant=tenant).json()
    assert body.get("errors") is None, body
    return body["data"]


@pytest.mark.parametrize(("mutation", "over", "at", "field", "at_code"), WRITTEN)
def test_list_over_its_bound_is_refused_and_changes_nothing(
    stack: Stack, tenant: str, mutation: str, over: Any, at: Any, field: str, at_code: str | None
) -> None:
    before = counts(stack, tenant)

    refused = stack.graphql(mutation, {"p": over}, tenant=tenant).json()
    unchanged = counts(stack, tenant)
    at_bound = stack.graphql(mutation, {"p": at}, tenant=tenant).json()

    assert refused["data"] is None
    assert [e["extensions"] for e in refused["errors"]] == [
        {"code": "VALIDATION_ERROR", "field": field}
    ]
    assert unchanged == before
    assert [e["extensions"]["code"] for e in at_bound.get("errors", [])] == (
        [at_code] if at_code else []
    )


def test_scoring_factors_over_their_bound_are_refused(stack: Stack, tenant: str) -> None:
    lead = stack.graphql(
        'mutation { createLead(input: {firstName: "A", lastName: "B", email: "a@b.co", '
        'source: "web"}) { lead { id } } }',
        tenant=tenant,
    ).json()["data"]["createLead"]["lead"]["id"]
    score = """mutation($l: ID!, $f: [ScoringFactorInput!]) {
        updateLeadScore(leadId: $l, score: 5, scoringFactors: $f) { score } }"""
    factors = [{"factor": f"f{i}"} for i in range(bounds.SCORING_FACTORS + 1)]

    refused = stack.graphql(score, {"l": lead, "f": factors}, tenant=tenant).json()
    accepted = stack.graphql(score, {"l": lead, "f": factors[:-1]}, tenant=tenant).json()
    history = stack.graphql(
        "query($l: ID!) { lead(id: $l) { scoringHistory { scoringFactors { factor } } } }",
        {"l": lead},
        tenant=tenant,
    ).json()

    assert [e["extensions"] for e in refused["errors"]] == [
        {"code": "VALIDATION_ERROR", "field": "scoringFactors"}
    ]
    assert accepted == {"data": {"updateLeadScore": {"score": 5}}}
    assert [len(h["scoringFactors"]) for h in history["data"]["lead"]["scoringHistory"]] == [
        bounds.SCORING_FACTORS
    ]


def test_pipelines_beyond_their_bound_are_a_conflict(stack: Stack, tenant: str) -> None:
    """The CONFLICT reaching the client; the pipeline and stage bounds themselves are unit
    tests (tests/unit/domain/test_written_bounds.py)."""

    async def fill() -> None:
        async with stack.runtime.sessions() as session, session.begin():
            for i in range(bounds.PIPELINES):
                await make_pipeline(session, Scope(tenant_id=tenant), name=f"P{i}")

    stack.call(fill)

    over = stack.graphql(PIPELINE, {"p": stages(1)}, tenant=tenant).json()

    assert over["data"] is None
    assert [(e["message"], e["extensions"]) for e in over["errors"]] == [
        (f"a tenant has at most {bounds.PIPELINES} pipelines", {"code": "CONFLICT"})
    ]
    assert len(counts(stack, tenant)["pipelines"]) == bounds.PIPELINES


def test_child_accounts_are_cut_to_their_bound_and_all_reachable_by_filter(
    stack: Stack, tenant: str
) -> None:
    async def make() -> str:
        scope = Scope(tenant_id=tenant)
        async with stack.runtime.sessions() as session, session.begin():
            parent = await accounts.create_account(
                session, scope=scope, data=accounts.NewAccount(name="Parent")
            )
            for i in range(bounds.CHILD_ACCOUNTS + 1):
                await accounts.create_account(
                    session,
                    scope=scope,
                    data=accounts.NewAccount(name=f"C{i:02}", parent_account_id=parent.id),
                )
        return str(parent.id)

    parent = stack.call(make)
    body = stack.graphql(
        """query($id: ID!) { account(id: $id) { childAccounts { name } }
            accounts(filter: {parentAccountId: {eq: $id}}) { totalCount } }""",
        {"id": parent},
        tenant=tenant,
    ).json()

    names = [c["name"] for c in body["data"]["account"]["childAccounts"]]
    assert names == [f"C{i:02}" for i in range(bounds.CHILD_ACCOUNTS)]
    assert body["data"]["accounts"]["totalCount"] == bounds.CHILD_ACCOUNTS + 1


def test_histories_keep_their_latest_entries_up_to_the_bound(stack: Stack, tenant: str) -> None:
    moves = bounds.STAGE_HISTORY + 5
    scope = Scope(tenant_id=tenant)

    async def make() -> tuple[str, str]:
        async with stack.runtime.sessions() as session, session.begin():
            _, by_name = await make_pipeline(session, scope)
            deal = await deals.create_deal(
                session,
                scope=scope,
                data=deals.NewDeal(title="D", value=1, stage_id=by_name["Lead"].id),
            )
            lead = await leads.create_lead(
                session,
                scope=scope,
                data=leads.NewLead(first_name="A", last_name="B", email="a@b.co", source="web"),
            )
        # One transaction a move, so each change has its own time.
        for i in range(moves):
            async with stack.runtime.sessions() as session, session.begin():
                stage = by_name["Qualification" if i % 2 == 0 else "Lead"]
                await deals.move_deal_stage(
                    session, scope=scope, deal_id=deal.id, stage_id=stage.id, reason=str(i)
                )
                await lead_scoring.update_lead_score(
                    session, scope=scope, lead_id=lead.id, score=i % 100
                )
        return str(deal.id), str(lead.id)

    deal, lead = stack.call(make)
    body = stack.graphql(
        """query($d: ID!, $l: ID!) { deal(id: $d) { stageHistory { reason } }
            lead(id: $l) { scoringHistory { newScore } } }""",
        {"d": deal, "l": lead},
        tenant=tenant,
    ).json()

    reasons = [h["reason"] for h in body["data"]["deal"]["stageHistory"]]
    assert reasons == [str(i) for i in range(moves - bounds.STAGE_HISTORY, moves)]
    scores = [h["newScore"] for h in body["data"]["lead"]["scoringHistory"]]
    assert scores == [i % 100 for i in reversed(range(moves - bounds.SCORING_HISTORY, moves))]


def test_api_keys_are_cut_to_their_bound(stack: Stack, tenant: str) -> None:
    async def make() -> None:
        scope = Scope(tenant_id=tenant)
        async with stack.runtime.sessions() as session, session.begin():
            for i in range(bounds.API_KEYS + 1):
                await api_keys.create_api_key(
                    session, scope=scope, data=api_keys.NewApiKey(name=f"k{i}")
                )

    stack.call(make)
    body = stack.graphql("{ apiKeys { name } }", tenant=tenant).json()

    assert len(body["data"]["apiKeys"]) == bounds.API_KEYS
