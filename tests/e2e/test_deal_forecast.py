"""dealForecast through the router on hand-computed deals, and tenant isolation
(README: Deal forecast)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import pytest

from tests.e2e.sales_data import DAY, LEAD, LOST, PROPOSAL, WON, Spec, add_deals, add_pipeline
from tests.stack import Stack

FORECAST = """query($p: ID!, $period: ForecastPeriod!, $year: Int) {
  dealForecast(pipelineId: $p, period: $period, year: $year) {
    period year undatedDealCount undatedValue
    buckets { label dealCount unweighted weighted closed commit bestCase expected
      categories { category dealCount value weightedValue }
      deals { deal { title } category weightedValue }
      commitDeals: deals(category: COMMIT, first: 5) { deal { title } } }
    total { label start end dealCount unweighted weighted closed commit bestCase expected }
  } }"""


def at(month: int, day: int, hour: int = 0, year: int = 2030) -> datetime:
    return datetime(year, month, day, hour, tzinfo=UTC)


# Tenant A's deals in 2030 (titles D0..D7 by position).
SPECS = [
    Spec(value=10000, path=[(PROPOSAL, DAY)], expected=at(2, 10)),  # Q1 best case 5000
    Spec(value=20000, path=[(PROPOSAL, DAY)], expected=at(3, 31, 23), probability=80),  # commit
    Spec(value="5000.50", path=[(LEAD, DAY)], expected=at(4, 1)),  # Q2 pipeline, 500.05
    Spec(value=7000, path=[(WON, DAY)], status="WON", closed=at(5, 15)),  # Q2 closed
    Spec(value=9999, path=[(LOST, DAY)], status="LOST", closed=at(2, 1), expected=at(2, 1)),
    Spec(value=300, path=[(LEAD, DAY)]),  # no expected close date: undated
    Spec(value=400, path=[(LEAD, DAY)], expected=at(1, 1, year=2031)),  # another year
]


def amounts(bucket: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(bucket[k] for k in AMOUNTS)


def forecast(stack: Stack, tenant: str, **variables: Any) -> Any:
    body = stack.graphql(FORECAST, variables, tenant=tenant).json()
    assert body.get("errors") is None, body
    return body["data"]["dealForecast"]


def test_quarters_weighted_and_unweighted_by_category(stack: Stack, tenant: str) -> None:
    pipeline = stack.call(lambda: add_pipeline(stack, tenant))
    other = stack.call(lambda: add_pipeline(stack, tenant, "Other"))
    stack.call(lambda: add_deals(stack, tenant, pipeline, SPECS))
    # Another pipeline's deal, and another tenant's deal in this pipeline, never count.
    stack.call(lambda: add_deals(stack, tenant, other, [SPECS[0]]))
    intruder = f"{tenant}_b"
    stack.call(lambda: add_deals(stack, intruder, pipeline, [Spec(
        value=1_000_000, path=[(PROPOSAL, DAY)], expected=at(2, 1))]))  # fmt: skip

    data = forecast(stack, tenant, p=str(pipeline.id), period="QUARTER", year=2030)

    q1, q2, q3, q4 = data["buckets"]
    assert (data["period"], data["year"]) == ("QUARTER", 2030)
    assert (data["undatedDealCount"], data["undatedValue"]) == (1, 300.0)
    assert amounts(q1) == ("2030-Q1", 2, 30000.0, 21000.0, 0.0, 20000.0, 30000.0, 21000.0)
    assert amounts(q2) == ("2030-Q2", 2, 5000.5, 500.05, 7000.0, 7000.0, 7000.0, 7500.05)
    for empty in (q3, q4):
        assert (empty["dealCount"], empty["unweighted"], empty["deals"]) == (0, 0.0, [])
    total = data["total"]
    assert amounts(total) == ("2030", 4, 35000.5, 21500.05, 7000.0, 27000.0, 37000.0, 28500.05)
    assert (total["start"], total["end"]) == (
        "2030-01-01T00:00:00+00:00",
        "2031-01-01T00:00:00+00:00",
    )
    assert q1["categories"] == [
        {"category": "CLOSED", "dealCount": 0, "value": 0.0, "weightedValue": 0.0},
        {"category": "COMMIT", "dealCount": 1, "value": 20000.0, "weightedValue": 16000.0},
        {"category": "BEST_CASE", "dealCount": 1, "value": 10000.0, "weightedValue": 5000.0},
        {"category": "PIPELINE", "dealCount": 0, "value": 0.0, "weightedValue": 0.0},
    ]
    # The deals behind the numbers, largest first.
    assert q1["deals"] == [
        {"deal": {"title": "D1"}, "category": "COMMIT", "weightedValue": 16000.0},
        {"deal": {"title": "D0"}, "category": "BEST_CASE", "weightedValue": 5000.0},
    ]
    assert q1["commitDeals"] == [{"deal": {"title": "D1"}}]
    assert [d["deal"]["title"] for d in q2["deals"]] == ["D3", "D2"]


AMOUNTS = ("label", "dealCount", "unweighted", "weighted", "closed", "commit", "bestCase",
           "expected")  # fmt: skip


def test_months_put_each_deal_in_its_month(stack: Stack, tenant: str) -> None:
    pipeline = stack.call(lambda: add_pipeline(stack, tenant))
    stack.call(lambda: add_deals(stack, tenant, pipeline, SPECS))

    data = forecast(stack, tenant, p=str(pipeline.id), period="MONTH", year=2030)

    months = {b["label"]: [d["deal"]["title"] for d in b["deals"]] for b in data["buckets"]}
    assert len(months) == 12
    assert {k: v for k, v in months.items() if v} == {
        "2030-02": ["D0"], "2030-03": ["D1"], "2030-04": ["D2"], "2030-05": ["D3"],
    }  # fmt: skip


def test_unknown_or_foreign_pipeline_is_null_and_bad_input_an_error(
    stack: Stack, tenant: str
) -> None:
    pipeline = stack.call(lambda: add_pipeline(stack, tenant))
    stack.call(lambda: add_deals(stack, tenant, pipeline, SPECS))
    other_tenant = f"{tenant}_b"

    assert forecast(stack, other_tenant, p=str(pipeline.id), period="QUARTER") is None
    unknown = "00000000-0000-0000-0000-000000000000"
    assert forecast(stack, tenant, p=unknown, period="QUARTER") is None
    for variables, field in [
        ({"p": "pipe_123", "period": "QUARTER"}, "pipelineId"),
        ({"p": str(pipeline.id), "period": "QUARTER", "year": 99999}, "year"),
    ]:
        body = stack.graphql(FORECAST, variables, tenant=tenant).json()
        assert [
            (e["extensions"]["code"], e["extensions"].get("field")) for e in body["errors"]
        ] == [("VALIDATION_ERROR", field)], body


@pytest.mark.parametrize("first", [-1, 101])
def test_deals_behind_a_bucket_are_bounded(stack: Stack, tenant: str, first: int) -> None:
    pipeline = stack.call(lambda: add_pipeline(stack, tenant))
    query = """query($p: ID!, $first: Int!) { dealForecast(pipelineId: $p, period: QUARTER,
      year: 2030) { total { deals(first: $first) { category } } } }"""
    body = stack.graphql(query, {"p": str(pipeline.id), "first": first}, tenant=tenant).json()
    assert [(e["extensions"]["code"], e["extensions"].get("field")) for e in body["errors"]] == [
        ("VALIDATION_ERROR", "first")
    ], body


LISTS = """query($p: ID!, $period: ForecastPeriod!) { dealForecast(pipelineId: $p,
  period: $period, year: 2030) {
  buckets { top: deals(first: 2) { deal { id title } category }
    commit: deals(category: COMMIT, first: 1) { deal { title } } none: deals(first: 0) {
    category } }
  total { deals(first: 3) { deal { title } } open: deals(category: BEST_CASE) { deal {
    title } } } } }"""


def test_every_list_of_deals_is_one_statement(stack: Stack, tenant: str) -> None:
    pipeline = stack.call(lambda: add_pipeline(stack, tenant))
    # Two more February deals of D0's value and category: ties are broken by id.
    tied = [Spec(value=10000, path=[(PROPOSAL, DAY)], expected=at(2, 20)) for _ in range(2)]
    ids = stack.call(lambda: add_deals(stack, tenant, pipeline, [*SPECS, *tied]))
    title = {str(id_): f"D{i}" for i, id_ in enumerate(ids)}
    tied_by_id = sorted(str(ids[i]) for i in (0, 7, 8))
    for period, lists in (("MONTH", 12 * 3 + 2), ("QUARTER", 4 * 3 + 2)):
        with stack.counting_statements() as statements:
            body = stack.graphql(LISTS, {"p": str(pipeline.id), "period": period}, tenant=tenant)
        data = body.json()["data"]["dealForecast"]
        # The pipeline, the grouped amounts, and one statement for all the lists (was one
        # statement per list asked for with first > 0).
        assert statements == [3], (period, lists, statements)
        buckets, total = data["buckets"], data["total"]
        assert all(b["none"] == [] for b in buckets)
        assert [d["deal"]["title"] for d in total["deals"]] == [
            "D1",
            *(title[i] for i in tied_by_id[:2]),
        ]
        assert [d["deal"]["title"] for d in total["open"]] == [title[i] for i in tied_by_id]
    months = data_of(stack, tenant, pipeline.id, "MONTH")["buckets"]
    assert [d["deal"]["id"] for d in months[1]["top"]] == tied_by_id[:2]
    assert {d["category"] for d in months[1]["top"]} == {"BEST_CASE"}
    assert [m["commit"] for m in months[1:4]] == [[], [{"deal": {"title": "D1"}}], []]
    assert [d["deal"]["title"] for d in months[4]["top"]] == ["D3"]


def data_of(stack: Stack, tenant: str, pipeline: UUID, period: str) -> Any:
    body = stack.graphql(LISTS, {"p": str(pipeline), "period": period}, tenant=tenant).json()
    assert body.get("errors") is None, body
    return body["data"]["dealForecast"]
