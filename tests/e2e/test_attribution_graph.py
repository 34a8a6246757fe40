"""revenueAttribution through the router, answered from Neo4j: the journeys are one Cypher
statement (`crmgraph_graph_queries_total{backend="neo4j", query="revenue_journeys"}`), the
SQL reader is not asked, and the figures are those the SQL adapter gives on the same data."""

from __future__ import annotations

from datetime import timedelta

from crmgraph.graph.sql_store import SqlGraphStore
from tests.e2e.test_account_hierarchy_graph import statements
from tests.e2e.test_leads import ok
from tests.e2e.test_marketing import ATTRIBUTION, NOW, range_of_today, won_journey
from tests.stack import Stack


def test_revenue_attribution_is_answered_from_neo4j(stack: Stack, tenant: str) -> None:
    assert stack.runtime.graph.name == "neo4j"
    world = won_journey(stack, tenant)
    start, end = NOW - timedelta(days=1), NOW + timedelta(days=1)
    expected = stack.call(lambda: SqlGraphStore(stack.runtime.engine).revenue_journeys(
        tenant, start, end))  # fmt: skip
    # won_journey waited for the projection: Neo4j's journeys are the tables'.
    assert [j.id for j in expected] == [world["deal"]] and expected[0].converted
    before = {b: statements("revenue_journeys", b) for b in ("neo4j", "sql")}

    found = ok(stack, ATTRIBUTION, tenant, m="linear", **range_of_today())["revenueAttribution"]

    after = {b: statements("revenue_journeys", b) - before[b] for b in before}
    assert after == {"neo4j": 1, "sql": 0}
    # test_marketing's hand-computed figures, which the SQL adapter gives in embedded mode.
    assert found["summary"] == {"totalRevenue": 9000.0, "attributedRevenue": 9000.0,
                                "unattributedRevenue": 0.0, "conversions": 1}  # fmt: skip
    totals = {g["label"]: g["totalAttributed"] for g in found["attribution"]}
    assert totals == {"Spring Ads": 3000.0, "Newsletter": 6000.0}
    path = found["attribution"][0]["revenueJourneys"]["edges"][0]["node"]["attributionPath"]
    assert path == [world["a"]["id"], world["b"]["id"], world["b"]["id"]]
