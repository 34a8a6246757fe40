"""The sales reports and lead scoring through the router on the demo data (tenant `demo`, as
`make run` loads it), every number compared with hand-written SQL (tests/e2e/report_sql.py).

The demo tenant's name is fixed, so it gets a database and a stack of its own
(own_pg_settings; the SQL graph adapter, no shared Neo4j): loading it into the session's
database would give a second run's load nothing to do, and its consumers' work (scores, the
stage automation's tasks) is waited for before anything is compared."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from crmgraph.config import Settings
from crmgraph.demo import DEMO_TENANT, load_demo
from tests.e2e import report_checks as checks
from tests.e2e import report_sql as sql
from tests.e2e.win_checks import check_win_probabilities
from tests.settle import settled
from tests.stack import Stack

T = DEMO_TENANT


@pytest.fixture(scope="module")
def demo(own_pg_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with checks.own_stack(own_pg_settings, tmp_path_factory.mktemp("demo_reports")) as running:
        assert running.call(lambda: load_demo(running.runtime.sessions)) is True
        settled(running, T)
        yield running


def ids(stack: Stack, table: str) -> list[str]:
    order = "email" if table == "users" else "created_at, id"
    found = sql.rows(stack, f"SELECT id FROM {table} WHERE tenant_id = :t ORDER BY {order}", t=T)
    return [str(r[0]) for r in found]


def test_forecast_analytics_and_pipeline_report_match_sql(demo: Stack) -> None:
    (pipeline,) = ids(demo, "pipelines")
    year = datetime.now(UTC).year
    counted = sum(
        checks.check_forecast(demo, T, pipeline, period, y)
        for period in ("MONTH", "QUARTER")
        for y in (year - 1, year, year + 1)
    )
    assert counted >= 2 * 7  # each open demo deal has an expected close date
    entered = 0
    for period in ("LAST_30_DAYS", "LAST_90_DAYS", "LAST_365_DAYS", "ALL_TIME"):
        data = checks.answer(demo, T, checks.ANALYTICS, p=pipeline, period=period)
        entered += checks.check_analytics(demo, T, pipeline, data["pipelineAnalytics"])
    assert entered > 0
    query = f"""query($p: ID!) {{ pipelineReport(pipelineId: $p) {{
      analytics {{ {checks.ANALYTICS_FIELDS} }} }} }}"""
    report = checks.answer(demo, T, query, p=pipeline)["pipelineReport"]
    checks.check_analytics(demo, T, pipeline, report["analytics"])


def test_sales_report_metrics_and_dashboards_match_sql(demo: Stack) -> None:
    today = datetime.now(UTC).date()
    (pipeline,) = ids(demo, "pipelines")
    people = ids(demo, "users")
    year_ago = today - timedelta(days=365)
    assert checks.check_sales_report(demo, T, year_ago, today) >= 16  # the history and more
    checks.check_sales_report(demo, T, today - timedelta(days=90), today, pipelines=[pipeline])
    for user in people:
        checks.check_sales_report(demo, T, year_ago, today, owner=user, pipelines=[pipeline])
    query = f"""query($u: ID!, $period: MetricsPeriod!) {{
      performanceMetrics(userId: $u, period: $period) {{ {checks.METRICS} }} }}"""
    for user in people:
        for period in ("WEEK", "MONTH", "QUARTER", "YEAR"):
            found = checks.answer(demo, T, query, u=user, period=period)
            checks.check_metrics(demo, T, user, found["performanceMetrics"])
    board = f"""query($u: ID!) {{ salesDashboard(userId: $u) {{ thisMonth {{ {checks.METRICS} }}
      thisQuarter {{ {checks.METRICS} }} thisYear {{ {checks.METRICS} }} }} }}"""
    (rep,) = sql.rows(demo, "SELECT id::text FROM users WHERE email = 'rep@demo.example'")[0]
    found = checks.answer(demo, T, board, u=rep)["salesDashboard"]
    for part in ("thisMonth", "thisQuarter", "thisYear"):
        checks.check_metrics(demo, T, rep, found[part])
    checks.check_sales_dashboard(demo, T)


def test_win_probability_of_every_demo_deal_matches_sql(demo: Stack) -> None:
    methods = check_win_probabilities(demo, T, ids(demo, "deals"))
    assert {"HISTORY", "CLOSED"} <= set(methods), methods


LEAD_SCORING = """query($id: ID!) { leadScoring(leadId: $id) { score modelScore
  breakdown { name score maxScore factors { factor points value } }
  adjustments { factor points } } }"""
# What the lead did, counted in SQL (README "Lead scoring": where the facts come from).
LEAD_FACTS = """
WITH t AS (
  SELECT *, coalesce(utm_medium, '') ILIKE '%email%' OR coalesce(channel, '') ILIKE '%email%'
              AS by_email,
         lower(split_part(split_part(regexp_replace(trim(coalesce(landing_page, '')),
                                                    '^[a-zA-Z]+://[^/]*', ''), '?', 1), '#', 1))
              AS path
  FROM touchpoints WHERE tenant_id = :t AND lead_id = CAST(:lead AS uuid)),
c AS (SELECT * FROM communications WHERE tenant_id = :t AND related_type = 'LEAD'
        AND related_id = CAST(:lead AS uuid)),
sent AS (SELECT min(occurred_at) AS at FROM c WHERE direction = 'OUTBOUND')
SELECT (SELECT count(*) FROM t WHERE by_email),
       (SELECT count(*) FROM t WHERE NOT by_email AND coalesce(landing_page, '') <> ''),
       (SELECT count(*) FROM t WHERE path ~ '/download|/whitepaper|/ebook|/case-stud'),
       (SELECT count(*) > 0 FROM t WHERE path LIKE '%/pricing%'),
       (SELECT count(*) FROM events WHERE tenant_id = :t AND related_type = 'LEAD'
          AND related_id = CAST(:lead AS uuid))
         + (SELECT count(*) FROM c WHERE type = 'MEETING'),
       (SELECT count(*) FROM c WHERE direction = 'INBOUND'),
       (SELECT round(CAST(EXTRACT(EPOCH FROM min(c.occurred_at) - sent.at) / 3600 AS numeric), 2)
        FROM c, sent WHERE c.direction = 'INBOUND' AND c.occurred_at >= sent.at GROUP BY sent.at)
"""
COUNTED = ("email_opens", "website_visits", "content_downloads", "pricing_page_visited",
           "meetings", "inbound_messages", "response_time_hours")  # fmt: skip


def shown(value: Any) -> str | None:
    """A fact as leadScoring shows it."""
    if value is None or isinstance(value, bool):
        return None if value is None else ("yes" if value else "no")
    return str(value) if isinstance(value, int) else f"{float(value):g}"


def test_lead_scoring_of_every_demo_lead_matches_sql(demo: Stack) -> None:
    leads = sql.rows(demo, "SELECT id::text, score FROM leads WHERE tenant_id = :t", t=T)
    assert len(leads) >= 4
    for lead, stored in leads:
        got = checks.answer(demo, T, LEAD_SCORING, id=lead)["leadScoring"]
        adjustments = dict(sql.rows(demo, """
            SELECT DISTINCT ON (factor) factor, points FROM lead_score_adjustments
            WHERE tenant_id = :t AND lead_id = CAST(:lead AS uuid)
            ORDER BY factor, created_at DESC, id DESC""", t=T, lead=lead))  # fmt: skip
        in_force = {f: p for f, p in adjustments.items() if p}
        assert {a["factor"]: a["points"] for a in got["adjustments"]} == in_force
        components = got["breakdown"]
        for part in components:
            total = sum(f["points"] for f in part["factors"])
            assert part["score"] == max(0, min(part["maxScore"], total)), part
        assert got["modelScore"] == sum(p["score"] for p in components)
        assert got["score"] == stored == max(0, min(100, got["modelScore"] + sum(
            in_force.values())))  # fmt: skip
        ((*facts,),) = sql.rows(demo, LEAD_FACTS, t=T, lead=lead)
        values = {f["factor"]: f["value"] for p in components for f in p["factors"]}
        assert {k: values[k] for k in COUNTED} == dict(
            zip(COUNTED, map(shown, facts), strict=True)
        ), lead
