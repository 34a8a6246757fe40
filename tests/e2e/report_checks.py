"""Each sales report asked through the router and compared, number by number, with the
hand-written SQL of tests/e2e/report_sql.py. Figures that depend on "now" (the current stay
of an open deal runs up to now) are computed with the now the answer states (`end`,
`generatedAt`, `start`/`end` days) or bounded by the SQL at the moments before and after the
request."""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import pytest

from crmgraph.config import Settings
from tests.e2e import report_sql as sql
from tests.stack import Stack

DAY = timedelta(days=1)
CATEGORIES = ("CLOSED", "COMMIT", "BEST_CASE", "PIPELINE")
OPEN = CATEGORIES[1:]
BUCKET = """label start end dealCount unweighted weighted closed commit bestCase expected
  categories { category dealCount value weightedValue }"""
FORECAST = f"""query($p: ID!, $period: ForecastPeriod!, $year: Int) {{
  dealForecast(pipelineId: $p, period: $period, year: $year) {{
    year undatedDealCount undatedValue buckets {{ {BUCKET} }} total {{ {BUCKET}
      closed5: deals(category: CLOSED, first: 5) {{ deal {{ id }} }}
      commit5: deals(category: COMMIT, first: 5) {{ deal {{ id }} }}
      best5: deals(category: BEST_CASE, first: 5) {{ deal {{ id }} }}
      pipeline5: deals(category: PIPELINE, first: 5) {{ deal {{ id }} }} }} }} }}"""
ANALYTICS_FIELDS = """pipelineId period start end stages { stageId entered advanced
  conversionRate averageDaysInStage } wonDeals lostDeals wonValue winRate averageDealSize
  averageSalesCycle openDeals openValue velocity"""
ANALYTICS = f"""query($p: ID!, $period: AnalyticsPeriod!) {{
  pipelineAnalytics(pipelineId: $p, period: $period) {{ {ANALYTICS_FIELDS} }} }}"""
METRICS = """user { id } period start end revenue dealsWon dealsLost winRate averageDealSize
  openDeals openPipelineValue weightedPipelineValue"""
REPORT = """query($filter: SalesReportFilter!) { salesReport(filter: $filter) {
  totalRevenue dealsClosed dealsLost averageDealSize conversionRate
  topPerformers { user { id } revenue dealsWon }
  pipelineBreakdown { pipeline { id } stageMetrics {
    stage { id } dealCount totalValue averageTimeInStage } } } }"""


@contextmanager
def own_stack(settings: Settings, workdir: Path) -> Iterator[Stack]:
    """A stack on a database of its own, with the SQL graph adapter (no shared Neo4j)."""
    running = Stack(settings.model_copy(update={"neo4j_uri": None}), workdir=workdir)
    try:
        running.start()
        yield running
    finally:
        running.stop()


def answer(stack: Stack, tenant: str, query: str, **variables: Any) -> Any:
    token = stack.token(tenant, roles=("tenant_admin",))
    body = stack.graphql(query, variables, headers={"authorization": f"Bearer {token}"}).json()
    assert body.get("errors") is None, body
    return body["data"]


def when(text: str) -> datetime:
    return datetime.fromisoformat(text)


def near(expected: float | None) -> Any:
    """What equals a figure computed in floating point the other way round (None: null)."""
    return None if expected is None else pytest.approx(float(expected), rel=1e-9)


def money(value: float) -> float:
    return float(Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def percent(won: int, lost: int) -> float:
    return round(100.0 * won / (won + lost), 2) if won + lost else 0.0


def check_forecast(stack: Stack, tenant: str, pipeline: str, period: str, year: int) -> int:
    """Every bucket and the year's total of dealForecast; returns the deals counted."""
    data = answer(stack, tenant, FORECAST, p=pipeline, period=period, year=year)["dealForecast"]
    start, end = datetime(year, 1, 1, tzinfo=UTC), datetime(year + 1, 1, 1, tzinfo=UTC)
    fmt = "YYYY-MM" if period == "MONTH" else 'YYYY-"Q"Q'
    by_bucket = sql.forecast(stack, tenant, pipeline, fmt, start, end)
    total = sql.forecast(stack, tenant, pipeline, "YYYY", start, end).get(str(year), {})
    assert len(data["buckets"]) == (12 if period == "MONTH" else 4)
    assert set(by_bucket) <= {b["label"] for b in data["buckets"]}
    for bucket in data["buckets"]:
        _bucket_matches(bucket, by_bucket.get(bucket["label"], {}))
    _bucket_matches(data["total"], total)
    assert (data["undatedDealCount"], data["undatedValue"]) == sql.undated(stack, tenant, pipeline)
    for field, category in zip(
        ("closed5", "commit5", "best5", "pipeline5"), CATEGORIES, strict=True
    ):
        got = [d["deal"]["id"] for d in data["total"][field]]
        assert got == sql.forecast_deals(stack, tenant, pipeline, category, start, end), field
    return int(data["total"]["dealCount"])


def _bucket_matches(bucket: dict[str, Any], cats: dict[str, tuple[int, float, float]]) -> None:
    amount = {c: cats.get(c, (0, 0.0, 0.0)) for c in CATEGORIES}
    closed = amount["CLOSED"][1]
    commit = closed + amount["COMMIT"][1]
    weighted = sum(amount[c][2] for c in OPEN)
    expected = {
        "dealCount": sum(a[0] for a in amount.values()),
        "unweighted": sum(amount[c][1] for c in OPEN),
        "weighted": weighted,
        "closed": closed,
        "commit": commit,
        "bestCase": commit + amount["BEST_CASE"][1],
        "expected": closed + weighted,
    }
    got = {k: bucket[k] for k in expected}
    assert got == pytest.approx(expected, abs=0.005), bucket["label"]
    assert bucket["categories"] == [
        {"category": c, "dealCount": amount[c][0], "value": pytest.approx(amount[c][1]),
         "weightedValue": pytest.approx(amount[c][2], abs=0.005)}
        for c in CATEGORIES
    ], bucket["label"]  # fmt: skip


def check_analytics(stack: Stack, tenant: str, pipeline: str, data: dict[str, Any]) -> int:
    """A pipelineAnalytics answer against SQL at its own window (start, end = now); returns
    the deals that entered a stage in the window."""
    start = None if data["start"] is None else when(data["start"])
    now = when(data["end"])
    flow = sql.stage_flow(stack, tenant, pipeline, start, now)
    assert set(flow) <= {s["stageId"] for s in data["stages"]}
    for stage in data["stages"]:
        entered, advanced, stays, days = flow.get(stage["stageId"], (0, 0, 0, None))
        assert (stage["entered"], stage["advanced"]) == (entered, advanced), stage
        rate = 100.0 * advanced / entered if entered else None
        assert stage["conversionRate"] == pytest.approx(rate), stage
        assert stage["averageDaysInStage"] == near(days), (stage, stays)
    won, lost, value, cycle, active, active_value = sql.closed_and_open(
        stack, tenant, pipeline, start
    )
    size = value / won if won else None
    rate = 100.0 * won / (won + lost) if won + lost else None
    velocity = None
    if size is not None and rate is not None and cycle:
        velocity = active * size * rate / 100 / cycle
    expected = {
        "wonDeals": won, "lostDeals": lost, "wonValue": value, "winRate": rate,
        "averageDealSize": size, "averageSalesCycle": cycle, "openDeals": active,
        "openValue": active_value, "velocity": velocity,
    }  # fmt: skip
    assert {k: data[k] for k in expected} == {k: near(v) for k, v in expected.items()}
    return sum(s["entered"] for s in data["stages"])


def check_sales_report(
    stack: Stack, tenant: str, start: date, end: date, *, owner: str | None = None,
    pipelines: list[str] | None = None,
) -> int:  # fmt: skip
    """salesReport for the filter; returns the deals closed in it."""
    period = {"start": str(start), "end": str(end)}
    wanted = {"period": period, "userId": owner, "pipelineIds": pipelines}
    before = datetime.now(UTC)
    report = answer(stack, tenant, REPORT, filter=wanted)["salesReport"]
    after = datetime.now(UTC)
    starts = datetime.combine(start, datetime.min.time(), UTC)
    ends = datetime.combine(end + DAY, datetime.min.time(), UTC)
    value, won, lost = sql.closed_in(stack, tenant, starts, ends, owner, pipelines)
    assert (report["totalRevenue"], report["dealsClosed"], report["dealsLost"]) == (
        pytest.approx(value), won, lost)  # fmt: skip
    assert report["averageDealSize"] == (money(value / won) if won else 0.0)
    assert report["conversionRate"] == percent(won, lost)
    performers = sql.top_performers(stack, tenant, starts, ends, owner, pipelines)
    assert [(p["user"]["id"], p["revenue"], p["dealsWon"]) for p in report["topPerformers"]] == [
        (u, pytest.approx(v), n) for u, v, n in performers]  # fmt: skip
    asked = pipelines if pipelines is not None else _pipelines(stack, tenant)
    assert [p["pipeline"]["id"] for p in report["pipelineBreakdown"]] == asked
    early, late = (sql.stage_metrics(stack, tenant, starts, ends, now, owner, pipelines)
                   for now in (before, after))  # fmt: skip
    for line in report["pipelineBreakdown"]:
        stage_ids = [s["stage"]["id"] for s in line["stageMetrics"]]
        assert stage_ids == _stages(stack, tenant, line["pipeline"]["id"])
        for metric in line["stageMetrics"]:
            n, total, low = early.get(metric["stage"]["id"], (0, 0.0, 0.0))
            assert (metric["dealCount"], metric["totalValue"]) == (n, pytest.approx(total))
            high = late.get(metric["stage"]["id"], (0, 0.0, 0.0))[2]
            # Whole days, rounded down and never below 0.
            assert max(0, math.floor(low)) <= metric["averageTimeInStage"], metric
            assert metric["averageTimeInStage"] <= max(0, math.floor(high)), metric
    return won + lost


def _pipelines(stack: Stack, tenant: str) -> list[str]:
    return [str(r[0]) for r in sql.rows(stack, """SELECT id FROM pipelines
        WHERE tenant_id = :tenant ORDER BY created_at, id""", tenant=tenant)]  # fmt: skip


def _stages(stack: Stack, tenant: str, pipeline: str) -> list[str]:
    return [str(r[0]) for r in sql.rows(stack, """SELECT id FROM pipeline_stages
        WHERE tenant_id = :tenant AND pipeline_id = CAST(:p AS uuid)
        ORDER BY position, id""", tenant=tenant, p=pipeline)]  # fmt: skip


def check_metrics(stack: Stack, tenant: str, owner: str | None, metrics: dict[str, Any]) -> int:
    """A PerformanceMetrics answer over its own days (start to end, both included) for the
    owner (None: the whole tenant); returns the deals closed in it."""
    start, end = date.fromisoformat(metrics["start"]), date.fromisoformat(metrics["end"])
    starts = datetime.combine(start, datetime.min.time(), UTC)
    ends = datetime.combine(end + DAY, datetime.min.time(), UTC)
    value, won, lost = sql.closed_in(stack, tenant, starts, ends, owner)
    n, open_value, weighted = sql.open_pipeline(stack, tenant, owner)
    expected = {
        "revenue": value, "dealsWon": won, "dealsLost": lost, "winRate": percent(won, lost),
        "averageDealSize": money(value / won) if won else 0.0, "openDeals": n,
        "openPipelineValue": open_value, "weightedPipelineValue": weighted,
    }  # fmt: skip
    assert {k: metrics[k] for k in expected} == pytest.approx(expected), metrics
    return won + lost


def period_start(period: str, today: date) -> date:
    """The first day of the current calendar period (README: performanceMetrics)."""
    if period == "WEEK":
        return today - timedelta(days=today.weekday())
    if period == "MONTH":
        return today.replace(day=1)
    if period == "QUARTER":
        return today.replace(month=3 * ((today.month - 1) // 3) + 1, day=1)
    return today.replace(month=1, day=1)


DASHBOARD = """{ dashboardData(dashboardId: "sales") { id generatedAt
  widgets { key unit value series { label value } } } }"""


def check_sales_dashboard(stack: Stack, tenant: str) -> None:
    """The built-in `sales` dashboard of the whole tenant, as of its generatedAt."""
    data = answer(stack, tenant, DASHBOARD)["dashboardData"]
    today = when(data["generatedAt"]).date()
    widgets = {w["key"]: w for w in data["widgets"]}

    def closed(period: str) -> tuple[float, int, int]:
        first = datetime.combine(period_start(period, today), datetime.min.time(), UTC)
        ends = datetime.combine(today + DAY, datetime.min.time(), UTC)
        return sql.closed_in(stack, tenant, first, ends)

    month, quarter = closed("MONTH"), closed("QUARTER")
    _, open_value, weighted = sql.open_pipeline(stack, tenant, None)
    assert {k: widgets[k]["value"] for k in (
        "revenue_this_month", "deals_won_this_month", "revenue_this_quarter",
        "win_rate_this_quarter", "open_pipeline", "weighted_pipeline")} == pytest.approx({
        "revenue_this_month": month[0], "deals_won_this_month": month[1],
        "revenue_this_quarter": quarter[0], "win_rate_this_quarter": percent(*quarter[1:]),
        "open_pipeline": open_value, "weighted_pipeline": weighted})  # fmt: skip
    index = today.year * 12 + today.month - 1
    firsts = [date(i // 12, i % 12 + 1, 1) for i in range(index - 11, index + 2)]
    months = sql.revenue_by_month(
        stack, tenant, datetime.combine(firsts[0], datetime.min.time(), UTC),
        datetime.combine(firsts[-1], datetime.min.time(), UTC),
    )  # fmt: skip
    labels = [f"{m:%Y-%m}" for m in firsts[:-1]]
    assert [(p["label"], p["value"]) for p in widgets["revenue_by_month"]["series"]] == [
        (label, pytest.approx(months.get(label, 0.0))) for label in labels]  # fmt: skip
    assert [(p["label"], p["value"]) for p in widgets["open_value_by_stage"]["series"]] == [
        (name, pytest.approx(v)) for name, v in sql.open_by_stage(stack, tenant)]  # fmt: skip
