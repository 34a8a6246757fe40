"""The sales report's rules without a database: what a request may ask, the totals' formulas,
the ranking of performers and the breakdown's shape."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from uuid import UUID, uuid4

import pytest

from crmgraph.domain import bounds
from crmgraph.errors import DomainError
from crmgraph.reporting.performance import Period, period_days
from crmgraph.reporting.sales_report import (
    Performer,
    StageFigures,
    Totals,
    breakdown,
    ranked,
    report_request,
)

JAN1, JAN31 = date(2025, 1, 1), date(2025, 1, 31)


def test_a_period_ending_before_it_starts_is_refused() -> None:
    with pytest.raises(DomainError) as raised:
        report_request(JAN31, JAN1, None)
    assert (raised.value.code, raised.value.field) == ("VALIDATION_ERROR", "filter.period.end")


def test_a_period_over_ten_years_is_refused() -> None:
    with pytest.raises(DomainError):
        report_request(date(2010, 1, 1), date(2021, 1, 1), None)


def test_more_pipelines_than_the_bound_are_refused() -> None:
    with pytest.raises(DomainError) as raised:
        report_request(JAN1, JAN31, None, pipeline_ids=[uuid4() for _ in range(21)])
    assert raised.value.field == "filter.pipelineIds"


def test_pipeline_ids_that_are_not_ids_are_dropped_and_repeats_kept_once() -> None:
    a, b = uuid4(), uuid4()
    r = report_request(JAN1, JAN31, None, pipeline_ids=[a, None, b, a])
    assert r.pipeline_ids == (a, b)
    assert report_request(JAN1, JAN31, None).pipeline_ids is None


def test_the_period_covers_both_whole_days() -> None:
    r = report_request(JAN1, JAN1, None)
    assert (r.ends_at - r.starts_at).total_seconds() == pytest.approx(86400, abs=0.001)


def test_totals_average_and_conversion() -> None:
    t = Totals(won_value=Decimal(1000), won=3, lost=1)
    assert t.average_deal_size == Decimal("333.33")
    assert t.conversion_rate == 75.0
    assert (Totals().average_deal_size, Totals().conversion_rate) == (Decimal(0), 0.0)


def test_performers_rank_by_revenue_then_deals_then_id_and_are_cut() -> None:
    ids = sorted((uuid4() for _ in range(12)), key=str)
    same = [Performer(i, Decimal(100), 1) for i in ids]
    more_deals = Performer(ids[-1], Decimal(100), 2)
    richest = Performer(ids[-2], Decimal(500), 1)
    top = ranked([*same[:-2], more_deals, richest])
    assert top[:2] == (richest, more_deals)
    assert top[2:] == tuple(same[: bounds.TOP_PERFORMERS - 2])
    assert len(top) == bounds.TOP_PERFORMERS


def test_breakdown_lists_every_stage_in_order_with_zeros_where_nothing_stayed() -> None:
    p, s1, s2 = uuid4(), uuid4(), uuid4()
    figures = {s2: StageFigures(2, Decimal(10), 3 * 86400 + 5)}
    (line,) = breakdown([p], {p: [s1, s2]}, figures)
    assert [(s.stage_id, s.figures) for s in line.stages] == [
        (s1, StageFigures()),
        (s2, figures[s2]),
    ]
    assert [s.figures.average_days for s in line.stages] == [0, 3]


def test_no_pipeline_no_line() -> None:
    assert breakdown([], {}, {}) == ()
    assert breakdown([UUID(int=1)], {UUID(int=1): []}, {})[0].stages == ()


@pytest.mark.parametrize(
    ("period", "first"),
    [
        (Period.WEEK, date(2026, 11, 23)),  # Monday
        (Period.MONTH, date(2026, 11, 1)),
        (Period.QUARTER, date(2026, 10, 1)),
        (Period.YEAR, date(2026, 1, 1)),
    ],
)
def test_a_period_runs_from_its_first_day_to_today(period: Period, first: date) -> None:
    assert period_days(period, date(2026, 11, 28)) == (first, date(2026, 11, 28))


def test_a_quarters_first_day_on_its_boundaries() -> None:
    assert period_days(Period.QUARTER, date(2026, 3, 31))[0] == date(2026, 1, 1)
    assert period_days(Period.QUARTER, date(2026, 4, 1))[0] == date(2026, 4, 1)
    assert period_days(Period.WEEK, date(2026, 11, 23))[0] == date(2026, 11, 23)
