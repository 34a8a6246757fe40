"""salesReport through the router: the API design's SalesPerformanceReport runs unchanged
(its ids are placeholders: zero figures, no error), names come from the subgraphs that own
users, pipelines and stages, and only holders of reports:sales may ask."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import update

from crmgraph.db import models
from crmgraph.db.scoping import tenant_filter
from tests.e2e.test_pipelines import DealSpec, failed, ok, seed_deals, seed_pipeline
from tests.stack import Stack

DAY = timedelta(days=1)
EXAMPLE = (Path(__file__).parents[1] / "data" / "sales_performance_report.graphql").read_text()
REPORT = """query($filter: SalesReportFilter!) { salesReport(filter: $filter) {
  totalRevenue dealsClosed dealsLost averageDealSize conversionRate
  topPerformers { user { id name } revenue dealsWon }
  pipelineBreakdown { pipeline { name } stageMetrics {
    stage { name probability } dealCount totalValue averageTimeInStage } } } }"""


def test_the_api_designs_report_runs_unchanged_with_its_placeholder_ids(
    stack: Stack, tenant: str
) -> None:
    stack.call(lambda: seed_pipeline(stack, tenant))

    data = ok(stack, EXAMPLE, tenant)

    assert data["salesReport"] == {
        "totalRevenue": 0.0, "dealsClosed": 0, "averageDealSize": 0.0, "conversionRate": 0.0,
        "topPerformers": [], "pipelineBreakdown": [],
    }  # fmt: skip


def test_a_managers_report_names_owners_pipelines_and_stages(stack: Stack, tenant: str) -> None:
    seeded = stack.call(lambda: seed_pipeline(stack, tenant))
    specs = [
        DealSpec(value=1000, stage=2, status="WON", created=10 * DAY, closed=4 * DAY),  # 6d
        DealSpec(value=400, stage=0, status="LOST", created=3 * DAY, closed=2 * DAY),  # 1d
    ]
    stack.call(lambda: seed_deals(stack, tenant, seeded, specs))
    owner = stack.call(lambda: own_all_deals(stack, tenant))
    today = datetime.now(UTC).date()
    period = {"start": str(today - 30 * DAY), "end": str(today)}
    token = stack.token(tenant, roles=("sales_manager",))

    body = stack.graphql(
        REPORT, {"filter": {"period": period}}, headers={"authorization": f"Bearer {token}"}
    ).json()

    assert body.get("errors") is None, body
    assert body["data"]["salesReport"] == {
        "totalRevenue": 1000.0, "dealsClosed": 1, "dealsLost": 1, "averageDealSize": 1000.0,
        "conversionRate": 50.0,
        "topPerformers": [{"user": {"id": owner, "name": "Rita Report"}, "revenue": 1000.0,
                           "dealsWon": 1}],
        "pipelineBreakdown": [{"pipeline": {"name": "Sales"}, "stageMetrics": [
            stage("Lead", 10, 1, 400.0, 1), stage("Proposal", 50, 0, 0.0, 0),
            stage("Closed", 100, 1, 1000.0, 6)]}],
    }  # fmt: skip


def test_a_sales_rep_may_not_ask_for_the_report(stack: Stack, tenant: str) -> None:
    token = stack.token(tenant, roles=("sales_rep",))
    variables = {"filter": {"period": {"start": "2025-01-01", "end": "2025-01-31"}}}

    body = stack.graphql(REPORT, variables, headers={"authorization": f"Bearer {token}"}).json()

    assert body["data"] is None
    assert [e["extensions"]["code"] for e in body["errors"]] == ["FORBIDDEN"]


def test_a_period_that_ends_before_it_starts_is_a_validation_error(
    stack: Stack, tenant: str
) -> None:
    variables = {"period": {"start": "2025-02-01", "end": "2025-01-31"}}

    assert failed(stack, REPORT, tenant, filter=variables) == [
        ("VALIDATION_ERROR", "filter.period.end")
    ]


def stage(name: str, probability: int, count: int, value: float, days: int) -> dict[str, Any]:
    return {"stage": {"name": name, "probability": probability}, "dealCount": count,
            "totalValue": value, "averageTimeInStage": days}  # fmt: skip


async def own_all_deals(stack: Stack, tenant: str) -> str:
    """A user of the tenant who owns all its deals (no mutation here sets an owner)."""
    async with stack.runtime.sessions() as session, session.begin():
        user = models.User(tenant_id=tenant, email="rita@crm.test", name="Rita Report")
        session.add(user)
        await session.flush()
        d = models.Deal
        await session.execute(update(d).where(tenant_filter(d, tenant)).values(owner_id=user.id))
        return str(user.id)


def seed_a_rep_with_a_win_today(stack: Stack, tenant: str) -> str:
    """A rep owning a deal of 1000 won now and two open ones: 600 at 50%, 200 at 10%."""
    seeded = stack.call(lambda: seed_pipeline(stack, tenant))
    specs = [
        DealSpec(value=1000, stage=2, status="WON", created=3 * DAY, closed=timedelta(0)),
        DealSpec(value=600, stage=1, created=2 * DAY),
        DealSpec(value=200, stage=0, created=2 * DAY),
    ]
    stack.call(lambda: seed_deals(stack, tenant, seeded, specs))
    return stack.call(lambda: own_all_deals(stack, tenant))


PERFORMANCE = """query($user: ID!, $period: MetricsPeriod!) {
  performanceMetrics(userId: $user, period: $period) {
    user { id } period revenue dealsWon dealsLost winRate averageDealSize
    openDeals openPipelineValue weightedPipelineValue } }"""


def test_a_rep_sees_their_own_performance_and_no_one_elses(stack: Stack, tenant: str) -> None:
    rep = seed_a_rep_with_a_win_today(stack, tenant)
    other = stack.call(lambda: another_user(stack, tenant))
    token = stack.token(tenant, user_id=rep, roles=("sales_rep",))
    auth = {"authorization": f"Bearer {token}"}

    own = stack.graphql(PERFORMANCE, {"user": rep, "period": "WEEK"}, headers=auth).json()
    theirs = stack.graphql(PERFORMANCE, {"user": other, "period": "WEEK"}, headers=auth).json()

    assert own.get("errors") is None, own
    assert own["data"]["performanceMetrics"] == {
        "user": {"id": rep}, "period": "WEEK", "revenue": 1000.0, "dealsWon": 1,
        "dealsLost": 0, "winRate": 100.0, "averageDealSize": 1000.0, "openDeals": 2,
        "openPipelineValue": 800.0, "weightedPipelineValue": 320.0,
    }  # fmt: skip
    assert [e["extensions"]["code"] for e in theirs["errors"]] == ["FORBIDDEN"]


async def another_user(stack: Stack, tenant: str) -> str:
    async with stack.runtime.sessions() as session, session.begin():
        user = models.User(tenant_id=tenant, email="otto@crm.test", name="Otto Other")
        session.add(user)
        await session.flush()
        return str(user.id)


DASHBOARD = """query($id: ID!) { dashboardData(dashboardId: $id) {
  id name widgets { key unit value series { label value } } } }"""


def test_the_sales_dashboard_shows_the_tenant_and_only_to_managers(
    stack: Stack, tenant: str
) -> None:
    rep = seed_a_rep_with_a_win_today(stack, tenant)
    as_rep = {"authorization": f"Bearer {stack.token(tenant, user_id=rep, roles=('sales_rep',))}"}
    month = f"{datetime.now(UTC):%Y-%m}"

    board = ok(stack, DASHBOARD, tenant, id="sales")["dashboardData"]
    unknown = ok(stack, DASHBOARD, tenant, id="marketing")["dashboardData"]
    refused = stack.graphql(DASHBOARD, {"id": "sales"}, headers=as_rep).json()

    widgets = {w["key"]: w for w in board["widgets"]}
    assert (board["id"], board["name"]) == ("sales", "Sales overview")
    assert widgets["revenue_this_month"]["value"] == 1000.0
    assert widgets["open_pipeline"]["value"] == 800.0
    assert widgets["weighted_pipeline"]["value"] == 320.0
    assert widgets["revenue_by_month"]["series"][-1] == {"label": month, "value": 1000.0}
    assert widgets["open_value_by_stage"]["series"] == [
        {"label": "Lead", "value": 200.0}, {"label": "Proposal", "value": 600.0},
        {"label": "Closed", "value": 0.0},
    ]  # fmt: skip
    assert unknown is None
    assert [e["extensions"]["code"] for e in refused["errors"]] == ["FORBIDDEN"]
