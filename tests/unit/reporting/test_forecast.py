"""Forecast buckets and categories by hand (README: Deal forecast)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from crmgraph.errors import DomainError
from crmgraph.reporting.forecast import Category, Period, Row, boundaries, category, forecast


def test_categories_by_status_and_probability() -> None:
    assert [category("ACTIVE", p) for p in (0, 24, 25, 74, 75, 100)] == [
        Category.PIPELINE, Category.PIPELINE, Category.BEST_CASE, Category.BEST_CASE,
        Category.COMMIT, Category.COMMIT,
    ]  # fmt: skip
    assert category("WON", 0) is Category.CLOSED
    assert category("LOST", 90) is None


def test_boundaries_of_months_and_quarters() -> None:
    quarters = boundaries(Period.QUARTER, 2025)
    assert [d.month for d in quarters[:-1]] == [1, 4, 7, 10]
    assert quarters[-1] == datetime(2026, 1, 1, tzinfo=UTC)
    assert len(boundaries(Period.MONTH, 2025)) == 13
    with pytest.raises(DomainError) as bad:
        boundaries(Period.MONTH, 10_000)
    assert bad.value.field == "year"


def test_quarters_add_up_by_category() -> None:
    rows = [
        Row(0, Category.COMMIT, 1, Decimal("10000.00"), Decimal("8000.00")),
        Row(0, Category.PIPELINE, 2, Decimal("5000.00"), Decimal("500.00")),
        Row(0, Category.CLOSED, 1, Decimal("3000.00"), Decimal("3000.00")),
        Row(3, Category.BEST_CASE, 1, Decimal("4000.00"), Decimal("2000.00")),
        Row(None, Category.PIPELINE, 1, Decimal("700.00"), Decimal("70.00")),
    ]
    result = forecast(Period.QUARTER, 2025, rows)

    q1, q2, _, q4 = result.buckets
    assert [b.label for b in result.buckets] == ["2025-Q1", "2025-Q2", "2025-Q3", "2025-Q4"]
    assert (q1.deal_count, q1.unweighted, q1.weighted, q1.closed) == (4, 15000, 8500, 3000)
    assert (q1.commit, q1.best_case, q1.expected) == (13000, 13000, 11500)
    assert (q2.deal_count, q2.unweighted, q2.best_case) == (0, 0, 0)
    assert (q4.unweighted, q4.weighted, q4.commit, q4.best_case) == (4000, 2000, 0, 4000)
    total = result.total
    assert (total.deal_count, total.unweighted, total.weighted) == (5, 19000, 10500)
    assert (total.closed, total.commit, total.best_case, total.expected) == (
        3000, 13000, 17000, 13500,
    )  # fmt: skip
    assert (result.undated.deals, result.undated.value) == (1, 700)
