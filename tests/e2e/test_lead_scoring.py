"""Lead scoring through the router: the lead-scorer consumer scores a lead from its fields,
touchpoints and activities; leadScoring explains the number; the history grows once per
change and leadScoreChanged fires; manual adjustments stay; a tenant's rules are its own."""

from __future__ import annotations

import asyncio
from itertools import pairwise
from typing import Any

from sqlalchemy import func, select

from crmgraph.db import models
from crmgraph.events.consumers.lead_scorer import LeadScorer
from tests.e2e.graphql_ws import connect
from tests.e2e.test_subscriptions import bearer, mutate, relayed, subscribed, ws_url
from tests.settle import settled
from tests.stack import Stack

CREATE = "mutation($input: CreateLeadInput!) { createLead(input: $input) { lead { id } } }"
TOUCH = """mutation($input: RecordTouchpointInput!) { recordTouchpoint(input: $input) {
  touchpoint { id } } }"""
LOG = """mutation($input: CommunicationInput!) { logCommunication(input: $input) {
  communication { id } } }"""
MEETING = """mutation($l: ID!) { createEvent(input: {title: "Discovery",
  startTime: "2030-01-07T10:00:00Z", endTime: "2030-01-07T11:00:00Z",
  relatedTo: {type: LEAD, id: $l}}) { event { id } } }"""
SCORING = """query($l: ID!) { leadScoring(leadId: $l) {
  score modelScore confidence qualificationStatus recommendations computedAt
  breakdown { name score maxScore factors { factor points value reason } }
  keyFactors { factor points impact reason manual }
  adjustments { factor points reason }
  nextBestAction { action priority suggestedTime }
  lead { score scoringHistory { previousScore newScore scoringFactors { factor points } } } } }"""
ADJUST = """mutation($l: ID!, $input: AdjustLeadScoreInput!) { adjustLeadScore(leadId: $l,
  input: $input) { score adjustments { factor points reason } } }"""
SET_RULES = """mutation($input: LeadScoringRulesInput!) { setLeadScoringRules(input: $input) {
  rules { factor points } qualifiedThreshold } }"""
LEAD = {
    "firstName": "Ada",
    "lastName": "Vance",
    "email": "ada@initrode.io",
    "source": "Referral",
    "company": "Initrode",
    "jobTitle": "VP Sales",
    "customFields": {"companySize": 500, "industry": "Technology"},
}


def ok(stack: Stack, query: str, tenant: str, **variables: Any) -> dict[str, Any]:
    body = stack.graphql(query, variables, tenant=tenant).json()
    assert body.get("errors") is None, body
    data: dict[str, Any] = body["data"]
    return data


def scored(stack: Stack, tenant: str) -> None:
    """Waits until the lead-scorer has handled every event of the tenant so far."""
    settled(stack, tenant, LeadScorer.name)


def scored_events(stack: Stack, lead_id: str) -> int:
    async def count() -> int:
        e = models.OutboxEvent
        async with stack.runtime.sessions() as session:
            n = await session.scalar(
                select(func.count()).where(e.topic == "lead.scored", e.aggregate_id == lead_id)
            )
        return int(n or 0)

    return stack.call(count)


def act(stack: Stack, tenant: str, lead: str) -> None:
    """What the lead did: an email click, the pricing page, a demo request, our email
    answered 2 hours later, and a meeting booked."""
    ref = {"type": "LEAD", "id": lead}
    for touch in (
        {"utmMedium": "email", "utmCampaign": "spring"},
        {"landingPage": "/pricing", "utmSource": "google"},
        {"landingPage": "/demo", "utmSource": "google"},
    ):
        ok(stack, TOUCH, tenant, input={"leadId": lead, **touch})
    ok(
        stack,
        LOG,
        tenant,
        input={
            "type": "EMAIL",
            "direction": "OUTBOUND",
            "content": "Hi",
            "timestamp": "2030-01-06T08:00:00Z",
            "relatedTo": ref,
        },
    )
    ok(
        stack,
        LOG,
        tenant,
        input={
            "type": "EMAIL",
            "direction": "INBOUND",
            "content": "Yes",
            "timestamp": "2030-01-06T10:00:00Z",
            "relatedTo": ref,
        },
    )
    ok(stack, MEETING, tenant, l=lead)


async def test_the_consumer_scores_a_lead_and_leadscoring_explains_why(
    stack: Stack, tenant: str
) -> None:
    lead = (await mutate(stack, tenant, CREATE, input=LEAD))["createLead"]["lead"]["id"]
    await asyncio.to_thread(scored, stack, tenant)
    # the lead alone: 500 people 10 + Technology 7 + VP 8, and a referral 15
    first = (await mutate(stack, tenant, SCORING, l=lead))["leadScoring"]
    assert (first["score"], first["qualificationStatus"]) == (40, "NURTURE")
    relayed(stack, tenant)
    async with connect(ws_url(stack), params=bearer(stack, tenant)) as client:
        id_ = await subscribed(
            stack,
            client,
            "subscription($l: ID!) { leadScoreChanged(leadId: $l) { previousScore newScore } }",
            tenant=tenant,
            topics=("lead.scored",),
            l=lead,
        )
        await asyncio.to_thread(act, stack, tenant, lead)
        await asyncio.to_thread(scored, stack, tenant)
        live = []
        while not live or live[-1]["newScore"] != 79:
            live.append(
                (await asyncio.wait_for(client.receive(), 60))["payload"]["data"][
                    "leadScoreChanged"
                ]
            )
        assert id_

    got = ok(stack, SCORING, tenant, l=lead)["leadScoring"]
    # demographic 25; behavioral: 1 email 2 + 2 visits 2 + pricing 5 + demo 15 = 24;
    # engagement: answered in 2 h 12 + 1 meeting 5 + 1 inbound 2 + referral 15 = 34, cap 30
    assert (got["score"], got["modelScore"]) == (79, 79)
    assert [(c["name"], c["score"], c["maxScore"]) for c in got["breakdown"]] == [
        ("demographic", 25, 35),
        ("behavioral", 24, 35),
        ("engagement", 30, 30),
    ]
    points = {f["factor"]: f["points"] for c in got["breakdown"] for f in c["factors"]}
    assert sum(points.values()) == 25 + 24 + 34
    assert points["response_time_hours"] == 12
    assert [(k["factor"], k["points"], k["impact"]) for k in got["keyFactors"]] == [
        ("demo_requested", 15, "high"),
        ("referral_source", 15, "high"),
        ("response_time_hours", 12, "high"),
        ("company_size", 10, "medium"),
        ("title_seniority", 8, "medium"),
    ]
    assert got["qualificationStatus"] == "QUALIFIED"
    assert got["nextBestAction"]["action"] == "schedule_discovery_call"
    assert got["nextBestAction"]["priority"] == "high"
    assert "Assign to a senior sales rep" in got["recommendations"]
    assert got["adjustments"] == []

    history = got["lead"]["scoringHistory"]
    assert history[0]["newScore"] == 79 and history[-1]["previousScore"] == 0
    assert all(h["previousScore"] != h["newScore"] for h in history)  # changes only
    assert all(a["previousScore"] == b["newScore"] for a, b in pairwise(history))
    assert len(history) == scored_events(stack, lead)  # one lead.scored per change
    assert [e["newScore"] for e in live] == [h["newScore"] for h in reversed(history)][1:]
    assert {f["factor"] for f in history[0]["scoringFactors"]} >= {"demo_requested"}


def test_a_replayed_event_changes_nothing(stack: Stack, tenant: str) -> None:
    lead = ok(stack, CREATE, tenant, input=LEAD)["createLead"]["lead"]["id"]
    act(stack, tenant, lead)
    scored(stack, tenant)
    before = ok(stack, SCORING, tenant, l=lead)["leadScoring"]["lead"]["scoringHistory"]

    async def replay() -> None:
        e, d = models.OutboxEvent, models.OutboxDelivery
        async with stack.runtime.sessions() as session, session.begin():
            ids = await session.scalars(
                select(e.id).where(e.tenant_id == tenant, e.topic != "lead.scored")
            )
            session.add_all(d(consumer=LeadScorer.name, outbox_id=i) for i in ids)

    stack.call(replay)
    scored(stack, tenant)
    after = ok(stack, SCORING, tenant, l=lead)["leadScoring"]["lead"]["scoringHistory"]
    assert after == before
    assert scored_events(stack, lead) == len(before)


def test_manual_adjustments_are_kept_and_survive_rescoring(stack: Stack, tenant: str) -> None:
    lead = ok(stack, CREATE, tenant, input=LEAD)["createLead"]["lead"]["id"]
    scored(stack, tenant)
    adjusted = ok(
        stack,
        ADJUST,
        tenant,
        l=lead,
        input={
            "factor": "budget_qualification",
            "points": 15,
            "reason": "budget confirmed on the call",
        },
    )["adjustLeadScore"]
    assert adjusted == {
        "score": 55,
        "adjustments": [
            {
                "factor": "budget_qualification",
                "points": 15,
                "reason": "budget confirmed on the call",
            }
        ],
    }
    act(stack, tenant, lead)
    scored(stack, tenant)
    got = ok(stack, SCORING, tenant, l=lead)["leadScoring"]
    assert (got["score"], got["modelScore"]) == (94, 79)
    assert {
        "factor": "budget_qualification",
        "points": 15,
        "impact": "high",
        "reason": "budget confirmed on the call",
        "manual": True,
    } in got["keyFactors"]

    # a score set by hand is the adjustment manual_score; later changes add to it
    ok(
        stack,
        "mutation($l: ID!) { updateLeadScore(leadId: $l, score: 60) { score } }",
        tenant,
        l=lead,
    )
    ok(stack, TOUCH, tenant, input={"leadId": lead, "landingPage": "/ebook/cloud"})
    scored(stack, tenant)
    got = ok(stack, SCORING, tenant, l=lead)["leadScoring"]
    # the download: 3 points, but behavioral is 24 + 3 = 27 and one more visit changes no band
    assert got["score"] == 63
    assert {(a["factor"], a["points"]) for a in got["adjustments"]} == {
        ("budget_qualification", 15),
        ("manual_score", 60 - 79 - 15),
    }
    ok(stack, ADJUST, tenant, l=lead, input={"factor": "budget_qualification", "points": 0})
    assert ok(stack, SCORING, tenant, l=lead)["leadScoring"]["score"] == 48


def test_a_tenants_rules_are_its_own(stack: Stack, tenant: str) -> None:
    other = f"{tenant}-other"
    rules = {
        "rules": [
            {"factor": "demo_requested", "points": 50},
            {"factor": "industry_fit", "matches": [{"words": ["tech"], "points": 20}]},
        ],
        "caps": {"demographic": 30, "behavioral": 50, "engagement": 20},
        "qualifiedThreshold": 60,
    }
    assert ok(stack, SET_RULES, tenant, input=rules)["setLeadScoringRules"] == {
        "rules": [
            {"factor": "demo_requested", "points": 50},
            {"factor": "industry_fit", "points": 0},
        ],
        "qualifiedThreshold": 60,
    }
    mine = ok(stack, CREATE, tenant, input=LEAD)["createLead"]["lead"]["id"]
    theirs = ok(stack, CREATE, other, input=LEAD)["createLead"]["lead"]["id"]
    for t, lead in ((tenant, mine), (other, theirs)):
        ok(stack, TOUCH, t, input={"leadId": lead, "landingPage": "/demo"})
    scored(stack, tenant)
    scored(stack, other)
    got = ok(stack, SCORING, tenant, l=mine)["leadScoring"]
    assert (got["score"], got["qualificationStatus"]) == (70, "QUALIFIED")
    assert ok(stack, SCORING, other, l=theirs)["leadScoring"]["score"] == 40 + 2 + 15
    default = ok(stack, "{ leadScoringRules { qualifiedThreshold rules { factor } } }", other)
    assert default["leadScoringRules"]["qualifiedThreshold"] == 70
    assert len(default["leadScoringRules"]["rules"]) == 15
    assert ok(stack, SCORING, other, l=mine) == {"leadScoring": None}


def test_rules_need_leads_manage_and_bad_rules_change_nothing(stack: Stack, tenant: str) -> None:
    rep = {"authorization": f"Bearer {stack.token(tenant, roles=('sales_rep',))}"}
    body = stack.graphql(SET_RULES, {"input": {"rules": []}}, headers=rep).json()
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    bad = {"rules": [{"factor": "budget", "points": 5}]}
    body = stack.graphql(SET_RULES, {"input": bad}, tenant=tenant).json()
    assert [(e["extensions"]["code"], e["extensions"]["field"]) for e in body["errors"]] == [
        ("VALIDATION_ERROR", "rules.0.points")
    ]
    rules = ok(stack, "{ leadScoringRules { rules { factor } } }", tenant)["leadScoringRules"]
    assert len(rules["rules"]) == 15
