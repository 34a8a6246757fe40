"""The sales reports through the router on the benchmark data set (crmgraph.dataset, as
`crmgraph seed --scale` loads it, small: 2 tenants, 4,000 deals, fixed seed), every number
compared with hand-written SQL (tests/e2e/report_sql.py).

The data set is COPYed in bypassing the outbox: no events, no graph projection. So it gets a
database and a stack of its own (own_pg_settings; the SQL graph adapter, no Neo4j): on the
session's database it would hold rows the graph never saw and ids another load would clash
with. The generator dates deals from 2025-01-01 on; the test moves every deal date and stage
change by one interval so the last change is a minute ago, so the windows ending now (the
last 30 days, this week, this month) have something in them whenever the test runs."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import text

from crmgraph import dataset
from crmgraph.config import Settings
from tests.e2e import report_checks as checks
from tests.e2e import report_sql as sql
from tests.e2e.win_checks import check_win_probabilities
from tests.stack import Stack

SCALE, SEED = 0.02, 7
TENANTS = ("bench00", "bench01")
PERIODS = ("WEEK", "MONTH", "QUARTER", "YEAR")
SHIFT = """
WITH delta AS (SELECT now() - interval '1 minute' - max(created_at) AS d
               FROM deal_stage_changes)
, deals_moved AS (
  UPDATE deals SET created_at = created_at + delta.d, updated_at = updated_at + delta.d,
    stage_entered_at = stage_entered_at + delta.d,
    expected_close_date = expected_close_date + delta.d,
    actual_close_date = actual_close_date + delta.d FROM delta RETURNING 1)
UPDATE deal_stage_changes SET created_at = created_at + delta.d,
  updated_at = updated_at + delta.d FROM delta"""


@pytest.fixture(scope="module")
def bench(own_pg_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with checks.own_stack(own_pg_settings, tmp_path_factory.mktemp("bench_reports")) as running:
        running.call(lambda: dataset.load(running.runtime.engine, scale=SCALE, seed=SEED))

        async def shift() -> None:
            async with running.runtime.engine.begin() as conn:
                await conn.execute(text(SHIFT))

        running.call(shift)
        yield running


def pipelines(stack: Stack, tenant: str) -> list[str]:
    return [
        str(r[0])
        for r in sql.rows(
            stack,
            """SELECT id FROM pipelines
        WHERE tenant_id = :tenant ORDER BY created_at, id""",
            tenant=tenant,
        )
    ]


def users(stack: Stack, tenant: str) -> list[str]:
    return [
        str(r[0])
        for r in sql.rows(
            stack,
            """SELECT id FROM users
        WHERE tenant_id = :tenant ORDER BY email""",
            tenant=tenant,
        )
    ]


def test_the_data_set_is_what_the_test_expects(bench: Stack) -> None:
    counts = sql.rows(
        bench,
        """SELECT tenant_id, count(*), count(*) FILTER (WHERE status =
        'WON'), count(*) FILTER (WHERE status = 'LOST'), max(actual_close_date) FROM deals
        GROUP BY tenant_id ORDER BY tenant_id""",
    )
    assert [c[:1] for c in counts] == [(t,) for t in TENANTS]
    for _, deals, won, lost, last_close in counts:
        assert deals == 2000 and won > 200 and lost > 200
        assert datetime.now(UTC) - last_close < timedelta(days=40)


@pytest.mark.parametrize("period", ["MONTH", "QUARTER"])
def test_deal_forecast_matches_sql(bench: Stack, period: str) -> None:
    this_year = datetime.now(UTC).year
    counted = 0
    for tenant in TENANTS:
        for pipeline in pipelines(bench, tenant):
            for year in range(this_year - 2, this_year + 2):
                counted += checks.check_forecast(bench, tenant, pipeline, period, year)
    assert counted > 2000


@pytest.mark.parametrize("period", ["LAST_30_DAYS", "LAST_90_DAYS", "LAST_365_DAYS", "ALL_TIME"])
def test_pipeline_analytics_matches_sql(bench: Stack, period: str) -> None:
    entered = 0
    for tenant in TENANTS:
        for pipeline in pipelines(bench, tenant):
            data = checks.answer(bench, tenant, checks.ANALYTICS, p=pipeline, period=period)
            entered += checks.check_analytics(bench, tenant, pipeline, data["pipelineAnalytics"])
    assert entered > 0


def test_pipeline_report_matches_sql(bench: Stack) -> None:
    tenant = TENANTS[0]
    query = f"""query($p: ID!) {{ pipelineReport(pipelineId: $p) {{ id
      analytics(period: LAST_365_DAYS) {{ {checks.ANALYTICS_FIELDS} }}
      forecast {{ year }} }} }}"""
    for pipeline in pipelines(bench, tenant):
        report = checks.answer(bench, tenant, query, p=pipeline)["pipelineReport"]
        assert report["id"] == pipeline
        assert checks.check_analytics(bench, tenant, pipeline, report["analytics"]) > 0
        assert report["forecast"] == {"year": datetime.now(UTC).year}


def test_sales_report_matches_sql_with_each_filter(bench: Stack) -> None:
    today = datetime.now(UTC).date()
    year_ago = today - timedelta(days=365)
    for tenant in TENANTS:
        first, second = pipelines(bench, tenant)
        rep = users(bench, tenant)[3]
        closed = [
            checks.check_sales_report(bench, tenant, year_ago, today),
            checks.check_sales_report(
                bench, tenant, today - timedelta(days=60), today, pipelines=[second]
            ),
            checks.check_sales_report(
                bench, tenant, year_ago, today - timedelta(days=90), owner=rep
            ),
            checks.check_sales_report(
                bench, tenant, year_ago, today, owner=rep, pipelines=[second, first]
            ),
        ]
        assert all(closed), closed


@pytest.mark.parametrize("period", PERIODS)
def test_performance_metrics_matches_sql(bench: Stack, period: str) -> None:
    query = f"""query($u: ID!, $period: MetricsPeriod!) {{
      performanceMetrics(userId: $u, period: $period) {{ {checks.METRICS} }} }}"""
    for tenant in TENANTS:
        for user in users(bench, tenant)[:4]:
            found = checks.answer(bench, tenant, query, u=user, period=period)
            metrics = found["performanceMetrics"]
            assert (metrics["user"]["id"], metrics["period"]) == (user, period)
            start = checks.period_start(period, date.fromisoformat(metrics["end"]))
            assert metrics["start"] == str(start)
            checks.check_metrics(bench, tenant, user, metrics)


def test_sales_dashboard_and_dashboard_data_match_sql(bench: Stack) -> None:
    query = f"""query($u: ID!) {{ salesDashboard(userId: $u) {{ user {{ id }}
      thisMonth {{ {checks.METRICS} }} thisQuarter {{ {checks.METRICS} }}
      thisYear {{ {checks.METRICS} }} }} }}"""
    for tenant in TENANTS:
        user = users(bench, tenant)[1]
        board = checks.answer(bench, tenant, query, u=user)["salesDashboard"]
        assert board["user"]["id"] == user
        year = board["thisYear"]
        assert checks.check_metrics(bench, tenant, user, year) > 0
        for part in ("thisMonth", "thisQuarter"):
            checks.check_metrics(bench, tenant, user, board[part])
        checks.check_sales_dashboard(bench, tenant)


def test_win_probability_matches_sql_cohorts(bench: Stack) -> None:
    for tenant in TENANTS:
        # In each stage of each pipeline: the smallest and the largest deal, so several
        # value bands, open deals and closed ones.
        deals = [
            str(r[0])
            for r in sql.rows(
                bench,
                """
            SELECT DISTINCT ON (stage_id, big) id FROM (
              SELECT id, stage_id, value, value >= 50000 AS big FROM deals
              WHERE tenant_id = :tenant) d
            ORDER BY stage_id, big, CASE WHEN big THEN -value ELSE value END, id""",
                tenant=tenant,
            )
        ]
        methods = check_win_probabilities(bench, tenant, deals)
        assert {"HISTORY", "CLOSED"} <= set(methods), methods
