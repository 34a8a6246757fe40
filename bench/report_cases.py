"""The requests of `make bench-reports` (bench/reports.py) and how their answers are checked.

Each case is a list of request bodies (its variants: pipelines, periods, years, users). An
answer is correct when it is HTTP 200 with data and no `errors`, and equals the first answer
to the same body once the fields that move with the clock are set aside (GENERATED: when an
answer was made, an analytics window's ends; DRIFTING: stay lengths that grow while a deal
stays, compared to 0.01 day). Totals are spot-checked against direct SQL (sql_checks).
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

TARGET_MS = 200.0  # issue 15: p95 of dealForecast and pipelineAnalytics
GENERATED = {"generatedAt", "end", "start"}
DRIFTING = {"averageDaysInStage", "averageTimeInStage", "velocity"}
DRIFT = 0.01

BUCKET = "label dealCount unweighted weighted closed commit bestCase expected"
FORECAST = f"""query($p: ID!, $period: ForecastPeriod!, $year: Int) {{
  dealForecast(pipelineId: $p, period: $period, year: $year) {{ pipelineId period year
  buckets {{ {BUCKET} categories {{ category dealCount value weightedValue }}
  deals(first: 5) {{ deal {{ id value }} category weightedValue }} }}
  total {{ {BUCKET} }} undatedDealCount undatedValue }} }}"""
ANALYTICS = """query($p: ID!, $period: AnalyticsPeriod!) {
  pipelineAnalytics(pipelineId: $p, period: $period) { pipelineId period start end
  stages { stageId name order probability entered advanced conversionRate averageDaysInStage }
  wonDeals lostDeals wonValue winRate averageDealSize averageSalesCycle openDeals openValue
  velocity } }"""
# The API design's SalesPerformanceReport (tests/data/sales_performance_report.graphql) with
# real pipelines and a manager's view (no userId).
SALES_REPORT = """query($start: Date!, $end: Date!, $pipelines: [ID!]) { salesReport(filter: {
  period: { start: $start, end: $end } pipelineIds: $pipelines }) {
  totalRevenue dealsClosed averageDealSize conversionRate
  topPerformers { user { id name } revenue dealsWon }
  pipelineBreakdown { pipeline { id name } stageMetrics { stage { name probability }
  dealCount totalValue averageTimeInStage } } } }"""
METRICS = """query($u: ID!, $period: MetricsPeriod!) { performanceMetrics(userId: $u,
  period: $period) { start end revenue dealsWon dealsLost winRate averageDealSize openDeals
  openPipelineValue weightedPipelineValue } }"""
DASHBOARD = """{ dashboardData(dashboardId: "sales") { id name generatedAt widgets { key value
  __typename } } }"""
SALES_DASHBOARD = """query($u: ID!) { salesDashboard(userId: $u) {
  thisMonth { revenue dealsWon openDeals } thisQuarter { revenue dealsWon winRate }
  thisYear { revenue dealsWon weightedPipelineValue } } }"""
PIPELINE_REPORT = """query($p: ID!) { pipelineReport(pipelineId: $p) { id pipeline { name
  stages { name dealCount stageValue averageTimeInStage } }
  analytics { winRate velocity openDeals stages { name entered advanced averageDaysInStage } }
  forecast { year total { dealCount closed unweighted weighted } undatedDealCount } } }"""
WIN_PAGE = """query($stage: String!) { deals(filter: { stage: { eq: $stage } status: ACTIVE }
  sort: { field: VALUE, direction: DESC } pagination: { first: 20 }) { edges { node { id
  winProbability { probability low high method basedOnDeals similarDealsWon similarDealsLost
  stageDeals stageDealsWon expectedValue riskFactors { __typename } successIndicators {
  __typename } } } } } }"""
TARGETED = ("forecast", "analytics")


def body(query: str, variables: dict[str, Any] | None = None) -> str:
    return json.dumps({"query": query, "variables": variables or {}})


def cases(ids: dict[str, Any]) -> dict[str, list[str]]:
    """Bodies per case, from the tenant's pipelines and users (ids)."""
    pipelines, users = ids["pipelines"], ids["users"][:3]
    return {
        "forecast": [body(FORECAST, {"p": p, "period": period, "year": year})
                     for p in pipelines for period in ("MONTH", "QUARTER")
                     for year in (2025, 2026)],
        "analytics": [body(ANALYTICS, {"p": p, "period": period}) for p in pipelines
                      for period in ("LAST_30_DAYS", "LAST_90_DAYS", "LAST_365_DAYS",
                                     "ALL_TIME")],
        "sales_report": [body(SALES_REPORT, {"start": start, "end": end, "pipelines": pipelines})
                         for start, end in (("2025-01-01", "2025-01-31"),
                                            ("2025-01-01", "2025-12-31"))],
        "performance_metrics": [body(METRICS, {"u": u, "period": period}) for u in users
                                for period in ("MONTH", "YEAR")],
        "dashboard_data": [body(DASHBOARD)],
        "sales_dashboard": [body(SALES_DASHBOARD, {"u": u}) for u in users],
        "pipeline_report": [body(PIPELINE_REPORT, {"p": p}) for p in pipelines],
        "win_probability_page": [body(WIN_PAGE, {"stage": s})
                                 for s in ("Lead", "Qualification", "Proposal", "Negotiation")],
    }  # fmt: skip


def problem(status: int, payload: Any, first: Any | None) -> str | None:
    """Why an answer is wrong (None: correct)."""
    if status != 200:
        return f"HTTP {status}"
    if not isinstance(payload, dict) or payload.get("errors") or not payload.get("data"):
        return f"errors or no data: {json.dumps(payload)[:300]}"
    if any(v is None for v in payload["data"].values()):
        return f"a null answer: {json.dumps(payload)[:300]}"
    if first is not None and not same(payload, first):
        return f"differs from the first answer: {json.dumps(payload)[:300]}"
    return None


def same(a: Any, b: Any, key: str = "") -> bool:
    if key in GENERATED:
        return True
    if key in DRIFTING and isinstance(a, int | float) and isinstance(b, int | float):
        return abs(a - b) <= DRIFT
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k], k) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y, key) for x, y in zip(a, b, strict=True))
    return bool(a == b)


async def sql_checks(conn: AsyncConnection, tenant: str, answers: dict[str, Any]) -> list[str]:
    """Totals of the first answers recounted with direct SQL; the mismatches."""
    wrong = []
    for payload in answers.get("forecast", []):
        f = payload["data"]["dealForecast"]
        count = await conn.scalar(text(
            "SELECT count(*) FROM deals WHERE tenant_id = :t AND pipeline_id = :p AND ("
            " (status = 'WON' AND actual_close_date >= make_timestamptz(:y, 1, 1, 0, 0, 0, 'UTC')"
            "  AND actual_close_date < make_timestamptz(:y + 1, 1, 1, 0, 0, 0, 'UTC')) OR"
            " (status = 'ACTIVE' AND expected_close_date >= make_timestamptz(:y, 1, 1, 0, 0, 0,"
            "  'UTC') AND expected_close_date < make_timestamptz(:y + 1, 1, 1, 0, 0, 0, 'UTC')))"),
            {"t": tenant, "p": f["pipelineId"], "y": f["year"]})  # fmt: skip
        if count != f["total"]["dealCount"]:
            wrong.append(f"forecast {f['pipelineId']} {f['year']}: {f['total']} vs SQL {count}")
    for payload in answers.get("analytics", []):
        a = payload["data"]["pipelineAnalytics"]
        row = (await conn.execute(text(
            "SELECT count(*) FILTER (WHERE status = 'ACTIVE'), count(*) FILTER (WHERE status ="
            " 'WON' AND actual_close_date IS NOT NULL) FROM deals WHERE tenant_id = :t AND"
            " pipeline_id = :p"), {"t": tenant, "p": a["pipelineId"]})).one()  # fmt: skip
        if a["openDeals"] != row[0] or (a["period"] == "ALL_TIME" and a["wonDeals"] != row[1]):
            wrong.append(f"analytics {a['pipelineId']} {a['period']}: {a} vs SQL {tuple(row)}")
    return wrong
