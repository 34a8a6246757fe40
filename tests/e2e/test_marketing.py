"""Campaigns, touchpoints, revenueAttribution and customerJourney through the router (and
GET /api/v1/analytics/revenue-attribution on the REST shim), on figures computed by hand."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from crmgraph.db.scoping import Scope
from crmgraph.domain import lead_conversion, leads, marketing
from crmgraph.graph.sql_store import SqlGraphStore
from tests.e2e.test_leads import failure, make_lead, ok
from tests.e2e.test_leads_conversion import CONVERT
from tests.stack import Stack

PIPELINE = """mutation { createPipeline(input: {name: "Sales", stages: [
  {name: "Qualification", order: 1, probability: 25},
  {name: "Won", order: 2, probability: 100}]}) { pipeline { id stages { id name } } } }"""
CAMPAIGN = """mutation($input: CreateCampaignInput!) { createCampaign(input: $input) {
  campaign { id name type budget status } } }"""
TOUCH = """mutation($input: RecordTouchpointInput!) { recordTouchpoint(input: $input) {
  touchpoint { id occurredAt campaign { name } } } }"""
MOVE = """mutation($d: ID!, $s: ID!) { moveDealStage(dealId: $d, stageId: $s) { deal { id } } }"""
ATTRIBUTION = """query($s: Date!, $e: Date!, $m: String!) {
  revenueAttribution(startDate: $s, endDate: $e, model: $m, groupBy: "campaign") {
    model summary { totalRevenue attributedRevenue unattributedRevenue conversions }
    attribution { label directRevenue influencedRevenue totalAttributed roi
      funnelMetrics { leadsGenerated opportunitiesCreated closedWon }
      revenueJourneys(first: 5) { totalCount edges { node { credit revenueGenerated
        attributionPath deal { id } } } } }
    insights { topPerforming { label } unattributedRevenue } } }"""
JOURNEY = """query($c: ID!, $first: Int, $after: String) {
  customerJourney(contactId: $c, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { node { kind summary touchpoint { campaign { name } } toStage } } } }"""
NOW = datetime.now(UTC)


def days_ago(n: int) -> str:
    return (NOW - timedelta(days=n)).isoformat()


def won_journey(stack: Stack, tenant: str) -> dict[str, Any]:
    """Lead touched by campaign A (10 days ago) and B (5 days ago), converted into a $9,000
    deal, its contact touched by B again (2 days ago), the deal won now."""
    pipeline = ok(stack, PIPELINE, tenant)["createPipeline"]["pipeline"]
    a = ok(stack, CAMPAIGN, tenant, input={"name": "Spring Ads", "type": "google_ads",
                                           "budget": 1000})  # fmt: skip
    a = a["createCampaign"]["campaign"]
    b = ok(stack, CAMPAIGN, tenant, input={"name": "Newsletter", "type": "email"})
    b = b["createCampaign"]["campaign"]
    lead = make_lead(stack, tenant, company="Prospect Inc")
    ok(stack, TOUCH, tenant, input={"leadId": lead, "campaignId": a["id"], "utmSource": "google",
                                    "utmMedium": "cpc", "occurredAt": days_ago(10)})  # fmt: skip
    ok(stack, TOUCH, tenant, input={"leadId": lead, "campaignId": b["id"],
                                    "occurredAt": days_ago(5)})  # fmt: skip
    converted = ok(stack, CONVERT, tenant, id=lead, input={
        "createDeal": True, "dealValue": 9000, "pipelineId": pipeline["id"],
        "stageId": pipeline["stages"][0]["id"]})["convertLead"]  # fmt: skip
    contact, deal = converted["contact"]["id"], converted["deal"]["id"]
    ok(stack, TOUCH, tenant, input={"contactId": contact, "campaignId": b["id"],
                                    "occurredAt": days_ago(2)})  # fmt: skip
    ok(stack, MOVE, tenant, d=deal, s=pipeline["stages"][1]["id"])
    stack.call(lambda: journeys_projected(stack, tenant))
    return {"a": a, "b": b, "lead": lead, "contact": contact, "deal": deal}


async def journeys_projected(stack: Stack, tenant: str) -> None:
    """Until the graph store's journeys are the tables' (in full mode the projection follows
    the outbox a moment behind the writes; in embedded mode they are the same reader)."""
    start, end = NOW - timedelta(days=30), NOW + timedelta(days=1)
    expected = await SqlGraphStore(stack.runtime.engine).revenue_journeys(tenant, start, end)
    async with asyncio.timeout(30):
        while True:
            found = await stack.runtime.graph.revenue_journeys(tenant, start, end)
            # ... and no write of the tenant left to project: Neo4j answers its requests
            if found == expected and await stack.runtime.graph_reads.current(tenant):
                return
            await asyncio.sleep(0.1)


def range_of_today() -> dict[str, str]:
    return {"s": (NOW - timedelta(days=1)).date().isoformat(),
            "e": (NOW + timedelta(days=1)).date().isoformat()}  # fmt: skip


def test_linear_and_u_shaped_split_the_won_deal_by_hand(stack: Stack, tenant: str) -> None:
    world = won_journey(stack, tenant)

    linear = ok(stack, ATTRIBUTION, tenant, m="linear", **range_of_today())["revenueAttribution"]
    u_shaped = ok(stack, ATTRIBUTION, tenant, m="position_based", **range_of_today())

    # Three touches A, B, B: linear 1/3 each: A 3,000, B 6,000; A opened the journey (direct),
    # B only influenced it. ROI of A: 3,000 on its 1,000 budget.
    assert linear["summary"] == {"totalRevenue": 9000.0, "attributedRevenue": 9000.0,
                                 "unattributedRevenue": 0.0, "conversions": 1}  # fmt: skip
    groups = {g["label"]: g for g in linear["attribution"]}
    assert [g["label"] for g in linear["attribution"]] == ["Newsletter", "Spring Ads"]
    assert (groups["Spring Ads"]["directRevenue"], groups["Spring Ads"]["roi"]) == (3000.0, 3.0)
    assert (groups["Newsletter"]["influencedRevenue"], groups["Newsletter"]["roi"]) == (
        6000.0,
        None,
    )
    assert groups["Spring Ads"]["funnelMetrics"] == {
        "leadsGenerated": 1, "opportunitiesCreated": 1, "closedWon": 1}  # fmt: skip
    journeys = groups["Newsletter"]["revenueJourneys"]
    assert journeys["totalCount"] == 1
    node = journeys["edges"][0]["node"]
    assert (node["credit"], node["revenueGenerated"]) == (6000.0, 9000.0)
    assert node["deal"] == {"id": world["deal"]}
    assert node["attributionPath"] == [world["a"]["id"], world["b"]["id"], world["b"]["id"]]
    # U-shaped: 40% first (A), 40% last (B), the middle 20% to the one middle touch (B).
    u_groups = {g["label"]: g["totalAttributed"] for g in
                u_shaped["revenueAttribution"]["attribution"]}  # fmt: skip
    assert u_groups == {"Spring Ads": 3600.0, "Newsletter": 5400.0}


def test_touchpoints_follow_the_lead_to_its_contact(stack: Stack, tenant: str) -> None:
    world = won_journey(stack, tenant)
    query = """query($l: ID!, $c: ID!) { lead(id: $l) { touchpoints { campaign { name } } }
      contact(id: $c) { touchpoints { campaign { name } } } }"""

    data = ok(stack, query, tenant, l=world["lead"], c=world["contact"])

    names = [t["campaign"]["name"] for t in data["lead"]["touchpoints"]]
    assert names == ["Newsletter", "Spring Ads"]  # newest first
    names = [t["campaign"]["name"] for t in data["contact"]["touchpoints"]]
    assert names == ["Newsletter", "Newsletter", "Spring Ads"]


def test_customer_journey_pages_in_time_order(stack: Stack, tenant: str) -> None:
    world = won_journey(stack, tenant)

    pages, after = [], None
    while True:
        page = ok(stack, JOURNEY, tenant, c=world["contact"], first=2, after=after)
        pages.append(page["customerJourney"])
        if not page["customerJourney"]["pageInfo"]["hasNextPage"]:
            break
        after = page["customerJourney"]["pageInfo"]["endCursor"]
    whole = ok(stack, JOURNEY, tenant, c=world["contact"], first=50)["customerJourney"]

    steps = [e["node"] for p in pages for e in p["edges"]]
    assert steps == [e["node"] for e in whole["edges"]] and whole["totalCount"] == 6
    assert len(pages) == 3 and [len(p["edges"]) for p in pages] == [2, 2, 2]
    assert [s["kind"] for s in steps[:4]] == ["TOUCHPOINT", "TOUCHPOINT", "TOUCHPOINT",
                                              "DEAL_CREATED"]  # fmt: skip
    assert [s["touchpoint"]["campaign"]["name"] for s in steps[:3]] == [
        "Spring Ads", "Newsletter", "Newsletter"]  # fmt: skip
    assert sorted(s["kind"] for s in steps[4:]) == ["DEAL_CLOSED", "STAGE_MOVE"]


def test_unknown_model_and_bad_inputs_are_validation_errors(stack: Stack, tenant: str) -> None:
    bad_group = ATTRIBUTION.replace('groupBy: "campaign"', 'groupBy: "planet"')

    assert failure(stack, ATTRIBUTION, tenant, m="magic", **range_of_today()) == [
        ("VALIDATION_ERROR", "model")]  # fmt: skip
    assert failure(stack, bad_group, tenant, m="linear", **range_of_today()) == [
        ("VALIDATION_ERROR", "groupBy")]  # fmt: skip
    assert failure(stack, TOUCH, tenant, input={"utmSource": "x"}) == [
        ("VALIDATION_ERROR", "leadId")]  # fmt: skip


def test_update_campaign_changes_only_given_fields(stack: Stack, tenant: str) -> None:
    made = ok(stack, CAMPAIGN, tenant, input={"name": "Webinar", "type": "event", "budget": 500})
    created = made["createCampaign"]["campaign"]
    update = """mutation($id: ID!, $input: UpdateCampaignInput!) { updateCampaign(id: $id,
      input: $input) { campaign { name type budget status } } }"""

    changed = ok(stack, update, tenant, id=created["id"], input={"status": "ACTIVE", "type": None})

    assert changed["updateCampaign"]["campaign"] == {
        "name": "Webinar", "type": None, "budget": 500.0, "status": "ACTIVE"}  # fmt: skip
    assert failure(stack, update, tenant, id=created["id"], input={"name": None}) == [
        ("VALIDATION_ERROR", "name")]  # fmt: skip
    twin = {"name": "Twin", "zohoId": "zc-1"}
    ok(stack, update, tenant, id=created["id"], input={"zohoId": "zc-1"})
    assert failure(stack, CAMPAIGN, tenant, input=twin) == [("CONFLICT", "zohoId")]
    listed = ok(stack, '{ campaigns(filter: {status: {eq: ACTIVE}}) { totalCount '
                "edges { node { name } } } }", tenant)["campaigns"]  # fmt: skip
    assert listed == {"totalCount": 1, "edges": [{"node": {"name": "Webinar"}}]}


def test_tenants_see_only_their_own_attribution(stack: Stack, tenant: str) -> None:
    won_journey(stack, tenant)
    other = f"{tenant}x"

    seen = ok(stack, ATTRIBUTION, other, m="linear", **range_of_today())["revenueAttribution"]

    assert seen["summary"]["totalRevenue"] == 0.0 and seen["attribution"] == []


def test_sales_rep_sees_no_touchpoints_in_a_journey(stack: Stack, tenant: str) -> None:
    world = won_journey(stack, tenant)
    token = stack.token(tenant, roles=("sales_rep",))

    body = stack.graphql(JOURNEY, {"c": world["contact"], "first": 50},
                         headers={"authorization": f"Bearer {token}"}).json()  # fmt: skip
    refused = stack.graphql(ATTRIBUTION, {"m": "linear", **range_of_today()},
                            headers={"authorization": f"Bearer {token}"}).json()  # fmt: skip

    kinds = [e["node"]["kind"] for e in body["data"]["customerJourney"]["edges"]]
    assert kinds[0] == "DEAL_CREATED" and "TOUCHPOINT" not in kinds
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"


@pytest.mark.parametrize("model", ["linear", "first_touch"])
def test_rest_report_matches_graphql(stack: Stack, tenant: str, model: str) -> None:
    world = won_journey(stack, tenant)
    days = range_of_today()

    reply = httpx.get(
        f"{stack.rest_url}/api/v1/analytics/revenue-attribution",
        params={"start_date": days["s"], "end_date": days["e"], "attribution_model": model},
        headers={"authorization": f"Bearer {stack.token(tenant)}"},
        timeout=30,
    )

    assert reply.status_code == 200, reply.text
    data = reply.json()["data"]
    assert data["summary"]["total_revenue"] == 9000.0 and data["summary"]["conversions"] == 1
    results = {r["campaign"]["name"]: r for r in data["attribution_results"]}
    expected = {"linear": {"Spring Ads": 3000.0, "Newsletter": 6000.0},
                "first_touch": {"Spring Ads": 9000.0, "Newsletter": 0.0}}[model]  # fmt: skip
    assert {k: r["attribution"]["total_attributed"] for k, r in results.items()} == expected
    spring = results["Spring Ads"]
    assert spring["campaign"] == {"id": world["a"]["id"], "name": "Spring Ads",
                                  "type": "google_ads", "budget": 1000.0}  # fmt: skip
    assert spring["revenue_journey"][0]["deal_id"] == world["deal"]
    assert data["metadata"]["attribution_model"] == model


def test_rest_refuses_an_unknown_model(stack: Stack, tenant: str) -> None:
    reply = httpx.get(
        f"{stack.rest_url}/api/v1/analytics/revenue-attribution",
        params={"start_date": "2026-01-01", "end_date": "2026-01-31", "attribution_model": "x"},
        headers={"authorization": f"Bearer {stack.token(tenant)}"},
        timeout=30,
    )

    assert reply.status_code == 400
    assert reply.json()["errors"][0]["field"] == "attribution_model"


async def make_touched_leads(stack: Stack, tenant: str, n: int) -> None:
    """n leads, each converted into a contact, with one touch on the lead and one on the
    contact."""
    scope = Scope(tenant_id=tenant)
    async with stack.runtime.sessions() as session, session.begin():
        for i in range(n):
            data = leads.NewLead(first_name="T", last_name=str(i), email=f"t{i}@x.com", source="S")
            lead = await leads.create_lead(session, scope=scope, data=data)
            done = await lead_conversion.convert_lead(
                session, scope=scope, lead_id=lead.id,
                data=lead_conversion.Conversion(create_account=False))  # fmt: skip
            assert done.contact is not None
            on_lead = marketing.NewTouchpoint(utm_source=f"s{i}", lead_id=lead.id)
            on_contact = marketing.NewTouchpoint(utm_source=f"c{i}", contact_id=done.contact.id)
            for touch in (on_lead, on_contact):
                await marketing.record_touchpoint(session, scope=scope, data=touch)


def test_touchpoints_of_30_contacts_run_no_more_statements_than_of_3(
    stack: Stack, tenant: str
) -> None:
    stack.call(lambda: make_touched_leads(stack, tenant, 30))
    query = """query($n: Int!) { contacts(first: $n) { edges { node {
      touchpoints { utmSource } leadSource { touchpoints { utmSource } } } } } }"""
    counts = {}
    for n in (3, 30):
        with stack.counting_statements() as statements:
            edges = ok(stack, query, tenant, n=n)["contacts"]["edges"]
        assert [len(e["node"]["touchpoints"]) for e in edges] == [2] * n
        assert [e["node"]["leadSource"]["touchpoints"] for e in edges] == [
            [{"utmSource": f"s{i}"}] for i in range(n)]  # fmt: skip
        counts[n] = statements[0]

    assert counts[30] <= counts[3], counts
