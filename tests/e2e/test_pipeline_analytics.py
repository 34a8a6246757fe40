"""pipelineAnalytics through the router on hand-computed stage histories, and tenant
isolation (README: Pipeline analytics)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from crmgraph.db import models
from tests.e2e.sales_data import (
    DAY,
    LEAD,
    LOST,
    PROPOSAL,
    WON,
    Pipeline,
    Spec,
    add_deals,
    add_pipeline,
)
from tests.stack import Stack

ANALYTICS = """query($p: ID!, $period: AnalyticsPeriod!) {
  pipelineAnalytics(pipelineId: $p, period: $period) {
    period stages { name order entered advanced conversionRate averageDaysInStage }
    wonDeals lostDeals wonValue winRate averageDealSize averageSalesCycle
    openDeals openValue velocity } }"""

# Days before now of each entry; the first is the deal's creation.
SPECS = [
    # X1: Lead 5d, Proposal 10d, won 5d ago after 15d
    Spec(
        value=6000,
        path=[(LEAD, 20 * DAY), (PROPOSAL, 15 * DAY), (WON, 5 * DAY)],
        status="WON",
        closed=5 * DAY,
    ),
    # X2: Lead 15d, lost 10d ago
    Spec(value=1000, path=[(LEAD, 25 * DAY), (LOST, 10 * DAY)], status="LOST", closed=10 * DAY),
    # X3: Lead 8d, in Proposal for 4d
    Spec(value=3000, path=[(LEAD, 12 * DAY), (PROPOSAL, 4 * DAY)]),
    # X4: created before the last 30 days, in Proposal for 20d
    Spec(value=2000, path=[(LEAD, 40 * DAY), (PROPOSAL, 20 * DAY)]),
    # X5: in Lead for 2d
    Spec(value=500, path=[(LEAD, 2 * DAY)]),
    # X6: won 90 days ago, straight from Lead after 10d
    Spec(value=50000, path=[(LEAD, 100 * DAY), (WON, 90 * DAY)], status="WON", closed=90 * DAY),
]


def analytics(stack: Stack, tenant: str, pipeline: str, period: str) -> Any:
    body = stack.graphql(ANALYTICS, {"p": pipeline, "period": period}, tenant=tenant).json()
    assert body.get("errors") is None, body
    return body["data"]["pipelineAnalytics"]


def stage_rows(data: Any) -> list[tuple[Any, ...]]:
    return [
        (s["name"], s["entered"], s["advanced"], s["conversionRate"],
         None if s["averageDaysInStage"] is None else round(s["averageDaysInStage"], 2))
        for s in data["stages"]
    ]  # fmt: skip


def test_last_30_days(stack: Stack, tenant: str) -> None:
    pipeline = stack.call(lambda: add_pipeline(stack, tenant))
    stack.call(lambda: add_deals(stack, tenant, pipeline, SPECS))
    # Another tenant's deals written against this pipeline never count.
    stack.call(lambda: add_deals(stack, f"{tenant}_b", pipeline, SPECS[:3]))

    data = analytics(stack, tenant, str(pipeline.id), "LAST_30_DAYS")

    assert stage_rows(data) == [
        # X1, X2, X3, X5 entered; X1 and X3 went on (X2 to a 0% stage does not);
        # stays 5 + 15 + 8 + 2 days
        ("Lead", 4, 2, 50.0, 7.5),
        # X1, X3, X4 entered; X1 went on; stays 10 + 4 + 20 days
        ("Proposal", 3, 1, pytest.approx(100 / 3), round(34 / 3, 2)),
        ("Won", 1, 0, 0.0, 0.0),  # X1, closed as it entered
        ("Lost", 1, 0, 0.0, 0.0),
    ]
    assert {k: data[k] for k in CLOSED} == {
        "wonDeals": 1, "lostDeals": 1, "wonValue": 6000.0, "winRate": 50.0,
        "averageDealSize": 6000.0, "openDeals": 3, "openValue": 5500.0,
    }  # fmt: skip
    assert data["averageSalesCycle"] == pytest.approx(15, abs=0.01)
    # 3 open x 6000 x 50% / 15 days
    assert data["velocity"] == pytest.approx(600, abs=1)


CLOSED = ("wonDeals", "lostDeals", "wonValue", "winRate", "averageDealSize", "openDeals",
          "openValue")  # fmt: skip


def test_all_time(stack: Stack, tenant: str) -> None:
    pipeline = stack.call(lambda: add_pipeline(stack, tenant))
    stack.call(lambda: add_deals(stack, tenant, pipeline, SPECS))

    data = analytics(stack, tenant, str(pipeline.id), "ALL_TIME")

    lead = stage_rows(data)[0]
    # all six entered Lead; X1, X3, X4 to Proposal and X6 to Won went on;
    # stays 5 + 15 + 8 + 20 + 2 + 10 days
    assert lead == ("Lead", 6, 4, pytest.approx(200 / 3), 10.0)
    assert (data["wonDeals"], data["lostDeals"], data["winRate"]) == (2, 1, pytest.approx(200 / 3))
    assert data["averageDealSize"] == 28000.0
    assert data["averageSalesCycle"] == pytest.approx(12.5, abs=0.01)  # (15 + 10) / 2
    # 3 open x 28000 x 2/3 / 12.5 days
    assert data["velocity"] == pytest.approx(4480, abs=1)


def test_empty_unknown_and_foreign_pipelines(stack: Stack, tenant: str) -> None:
    pipeline = stack.call(lambda: add_pipeline(stack, tenant))

    empty = analytics(stack, tenant, str(pipeline.id), "LAST_90_DAYS")
    assert [s["entered"] for s in empty["stages"]] == [0, 0, 0, 0]
    assert (empty["winRate"], empty["averageDealSize"], empty["velocity"]) == (None, None, None)
    stack.call(lambda: add_deals(stack, tenant, pipeline, SPECS))
    assert analytics(stack, f"{tenant}_b", str(pipeline.id), "ALL_TIME") is None
    unknown = "00000000-0000-0000-0000-000000000000"
    assert analytics(stack, tenant, unknown, "ALL_TIME") is None
    body = stack.graphql(ANALYTICS, {"p": "pipe_123", "period": "ALL_TIME"}, tenant=tenant).json()
    assert [(e["extensions"]["code"], e["extensions"]["field"]) for e in body["errors"]] == [
        ("VALIDATION_ERROR", "pipelineId")
    ]


def test_needs_deals_and_pipelines_read(stack: Stack, tenant: str) -> None:
    pipeline = stack.call(lambda: add_pipeline(stack, tenant))
    token = stack.token(tenant, roles=("support_agent",))  # no deals:read, no pipelines:read
    for query in (
        ANALYTICS,
        "query($p: ID!) { dealForecast(pipelineId: $p, period: MONTH) { year } }",
    ):
        body = stack.graphql(query, {"p": str(pipeline.id), "period": "ALL_TIME"},
                             headers={"authorization": f"Bearer {token}"}).json()  # fmt: skip
        assert [e["extensions"]["code"] for e in body["errors"]] == ["FORBIDDEN"], body


REPORT = """query($p: ID!) { pipelineReport(pipelineId: $p) { id pipeline { name }
  analytics(period: LAST_30_DAYS) { winRate velocity stages { name entered advanced } }
  forecast(period: QUARTER) { year total { closed unweighted } undatedDealCount } } }"""
PARTS = """query($p: ID!) {
  pipelineAnalytics(pipelineId: $p, period: LAST_30_DAYS) {
    winRate velocity stages { name entered advanced } }
  dealForecast(pipelineId: $p, period: QUARTER) {
    year total { closed unweighted } undatedDealCount } }"""


def test_pipeline_report_gathers_analytics_and_forecast(stack: Stack, tenant: str) -> None:
    pipeline = stack.call(lambda: add_pipeline(stack, tenant))
    stack.call(lambda: add_deals(stack, tenant, pipeline, SPECS))
    p = str(pipeline.id)

    report = stack.graphql(REPORT, {"p": p}, tenant=tenant).json()
    parts = stack.graphql(PARTS, {"p": p}, tenant=tenant).json()

    assert report.get("errors") is None and parts.get("errors") is None, (report, parts)
    found = report["data"]["pipelineReport"]
    assert (found["id"], found["pipeline"]) == (p, {"name": "Sales"})
    assert found["analytics"] == parts["data"]["pipelineAnalytics"]
    assert found["analytics"]["winRate"] == 50.0
    assert found["forecast"] == parts["data"]["dealForecast"]
    assert found["forecast"]["undatedDealCount"] == 3  # X3, X4, X5: open, no close date
    for who, pipeline_id in [(f"{tenant}_b", p), (tenant, "00000000-0000-0000-0000-000000000000")]:
        body = stack.graphql(REPORT, {"p": pipeline_id}, tenant=who).json()
        assert body == {"data": {"pipelineReport": None}}, body


STAGE_TIMES = """query($p: ID!) { pipeline(id: $p) { stages { name averageTimeInStage } } }"""


async def add_deal_recorded_late(stack: Stack, tenant: str, pipeline: Pipeline) -> None:
    """A deal created 30 days ago in Lead whose recorded history starts with its move to
    Proposal 18 days ago (no change recorded its creation, as for an imported deal)."""
    now = datetime.now(UTC)
    lead, proposal = pipeline.stages[LEAD], pipeline.stages[PROPOSAL]
    async with stack.runtime.sessions() as session, session.begin():
        deal = models.Deal(
            tenant_id=tenant, title="Imported", value=Decimal(1000), pipeline_id=pipeline.id,
            stage_id=proposal, probability=50, status="ACTIVE",
            created_at=now - 30 * DAY, stage_entered_at=now - 18 * DAY,
        )  # fmt: skip
        session.add(deal)
        await session.flush()
        session.add(models.DealStageChange(tenant_id=tenant, deal_id=deal.id,
                                           created_at=now - 18 * DAY, from_stage_id=lead,
                                           to_stage_id=proposal))  # fmt: skip


def test_a_stay_before_the_first_recorded_change_counts_as_everywhere(
    stack: Stack, tenant: str
) -> None:
    pipeline = stack.call(lambda: add_pipeline(stack, tenant))
    stack.call(lambda: add_deal_recorded_late(stack, tenant, pipeline))

    data = analytics(stack, tenant, str(pipeline.id), "ALL_TIME")
    body = stack.graphql(STAGE_TIMES, {"p": str(pipeline.id)}, tenant=tenant).json()

    assert body.get("errors") is None, body
    metrics = {s["name"]: s["averageTimeInStage"] for s in body["data"]["pipeline"]["stages"]}
    # One definition of a stay (crmgraph.db.stage_stays): Lead from creation to the first
    # recorded change (12 days), Proposal since then (18 days so far).
    assert stage_rows(data)[:2] == [("Lead", 1, 1, 100.0, 12.0), ("Proposal", 1, 0, 0.0, 18.0)]
    assert (metrics["Lead"], metrics["Proposal"]) == (12, 18)
