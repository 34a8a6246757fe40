"""bench/goal.py judges issue 16's speed goal from a run's rows: each criterion from the
figures it names, and none from figures the run did not measure."""

from __future__ import annotations

from dataclasses import dataclass

from bench.goal import judge, markdown


@dataclass
class Row:
    operation: str
    target: str
    concurrency: int
    rps: float
    p50_ms: float = 5.0
    p95_ms: float = 20.0
    errors: int = 0


def test_each_criterion_is_judged_from_its_own_figures() -> None:
    rows = [
        Row("deal_by_id", "native", 32, 3100), Row("deal_by_id", "postgraphile", 32, 3000),
        Row("deal_by_id", "native", 128, 3050, errors=2),
        Row("deal_by_id", "native", 1, 900, p50_ms=1.2),
        Row("deal_by_id", "subgraph", 1, 2000, p50_ms=0.5),
        Row("deals_page_50", "native", 32, 900, p95_ms=51.0),
        Row("deals_page_50", "postgraphile", 32, 950),
        Row("deals_page_50", "native", 128, 1000),
    ]  # fmt: skip
    met = {c.what: c.met for c in judge(rows) if c.router == "native"}
    assert met == {
        "deal_by_id c=32 req/s >= PostGraphile's": True,
        "deal_by_id c=32 p95 < 50 ms": True,
        "deal_by_id c=128 req/s >= c=32's, no error": False,  # fewer req/s, and errors
        "router overhead c=1 p50 < 1 ms": True,  # 0.7 ms
        "deals_page_50 c=32 req/s >= PostGraphile's": False,
        "deals_page_50 c=32 p95 < 50 ms": False,
        "deals_page_50 c=128 req/s >= c=32's, no error": True,
    }
    assert not [c for c in judge(rows) if c.router == "router"]  # Hive Gateway not measured


def test_a_run_without_the_figures_judges_nothing() -> None:
    assert markdown([Row("customer_overview", "router", 32, 100)]) == []
