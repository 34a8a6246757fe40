"""Win probability on a hand-computed cohort (README: Deal win probability)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from crmgraph.reporting.win_factors import risk_factors, success_indicators
from crmgraph.reporting.win_probability import (
    CohortCell,
    Method,
    OpenDeal,
    band,
    estimate,
    wilson,
)

S, T = "stage-s", "stage-t"
# Closed deals that reached S: 12 won, 8 lost. The deal below (value band 1, activity band 2,
# days band 1) matches the first and fourth cells: 5 won, 1 lost.
CELLS = [
    CohortCell(S, 1, 2, 1, True, 5, stay_days=100, activities=20),
    CohortCell(S, 1, 2, 0, True, 3, stay_days=30, activities=12),  # left S sooner
    CohortCell(S, 0, 1, 0, True, 4, stay_days=40, activities=8),
    CohortCell(S, 1, 2, 2, False, 1, stay_days=40, activities=3),
    CohortCell(S, 0, 0, 1, False, 7, stay_days=140, activities=0),
    CohortCell(T, 1, 2, 1, True, 50, stay_days=10, activities=50),  # another stage
]
DEAL = OpenDeal(
    stage=S,
    stage_name="Proposal",
    stage_probability=50,
    status="ACTIVE",
    value=Decimal(20000),
    days_in_stage=15,
    activities=3,
)
NOW = datetime(2025, 6, 1, tzinfo=UTC)


def test_bands_count_the_lower_bounds_reached() -> None:
    assert [band(Decimal(v), (Decimal(10), Decimal(20))) for v in (0, 9.99, 10, 20, 99)] == [
        0, 0, 1, 2, 2,
    ]  # fmt: skip


def test_history_shrinks_the_matching_cohort_toward_the_stage_rate() -> None:
    found = estimate(DEAL, CELLS)

    # stage rate (12 + 10 x 0.5) / (20 + 10) = 17/30; estimate (5 + 10 x 17/30) / (6 + 10) = 2/3
    assert found.method is Method.HISTORY
    assert found.probability == pytest.approx(2 / 3)
    # Wilson, p = 2/3, n = 16, z = 1.96: centre 0.786717 / 1.2401, half 0.260321 / 1.2401
    assert found.low == pytest.approx(0.424478, abs=1e-6)
    assert found.high == pytest.approx(0.844318, abs=1e-6)
    c = found.cohorts
    assert (c.stage_won, c.stage_lost, c.match_won, c.match_lost) == (12, 8, 5, 1)
    assert c.won_avg_days == pytest.approx(170 / 12)
    assert c.won_avg_activities == pytest.approx(40 / 12)


def test_thin_history_falls_back_to_the_stage_probability() -> None:
    nine = [CohortCell(S, 1, 2, 1, True, 6), CohortCell(S, 1, 2, 1, False, 3)]
    found = estimate(DEAL, nine)
    assert (found.probability, found.low, found.high) == (0.5, None, None)
    assert found.method is Method.STAGE_PROBABILITY

    ten = [*nine, CohortCell(S, 0, 0, 0, False, 1)]
    found = estimate(DEAL, ten)
    # stage (6 + 5) / 20 = 0.55; matching 6 won 3 lost: (6 + 5.5) / 19
    assert found.method is Method.HISTORY
    assert found.probability == pytest.approx(11.5 / 19)


def test_a_closed_deal_is_certain() -> None:
    won = estimate(OpenDeal(**{**DEAL.__dict__, "status": "WON"}), CELLS)
    lost = estimate(OpenDeal(**{**DEAL.__dict__, "status": "LOST"}), CELLS)
    assert (won.probability, won.low, won.high, won.method) == (1.0, 1.0, 1.0, Method.CLOSED)
    assert (lost.probability, lost.method) == (0.0, Method.CLOSED)
    assert risk_factors(OpenDeal(**{**DEAL.__dict__, "status": "WON"}), won.cohorts,
                        expected_close=None, now=NOW) == []  # fmt: skip


def test_wilson_interval_by_hand() -> None:
    # p = 0.5, n = 100: centre 0.5, half 1.96 x sqrt(0.0025 + 0.00009604) / 1.038416 = 0.09617
    low, high = wilson(0.5, 100)
    assert low == pytest.approx(0.5 - 0.09617, abs=1e-4)
    assert high == pytest.approx(0.5 + 0.09617, abs=1e-4)
    assert wilson(0.3, 0) == (0.0, 1.0)


def test_factors_say_the_numbers_they_compared() -> None:
    cohorts = estimate(DEAL, CELLS).cohorts

    risks = risk_factors(DEAL, cohorts, expected_close=None, now=NOW)
    assert [(r.factor, r.impact) for r in risks] == [
        ("long_time_in_stage", "medium"),  # 15 > 14.2, not twice
        ("low_engagement", "medium"),  # 3 < 3.3, not none
        ("no_expected_close_date", "low"),
    ]
    assert risks[0].evidence == (
        "15 days in Proposal; won deals left it after 14.2 days on average"
    )
    assert risks[1].evidence == ("3 activities; won deals that reached Proposal had 3.3 on average")
    indicators = success_indicators(DEAL, cohorts)
    assert [(i.factor, i.strength) for i in indicators] == [("strong_similar_deals", "strong")]
    assert indicators[0].evidence == (
        "similar deals won 5 of 6 (83%); all deals that reached Proposal won 12 of 20 (60%)"
    )


def test_factors_of_a_late_engaged_overdue_deal() -> None:
    deal = OpenDeal(**{**DEAL.__dict__, "stage_probability": 80, "activities": 5,
                       "days_in_stage": 30, "value": Decimal(5000)})  # fmt: skip
    cohorts = estimate(deal, CELLS).cohorts
    # Matching (band 0, 2, days band >= 2): none, so no comparison of similar deals.
    assert cohorts.match_deals == 0

    risks = risk_factors(deal, cohorts, expected_close=datetime(2025, 5, 1, tzinfo=UTC), now=NOW)
    assert [(r.factor, r.impact) for r in risks] == [
        ("long_time_in_stage", "high"),  # 30 > 2 x 14.2
        ("overdue", "high"),
    ]
    assert risks[1].evidence == "expected to close on 2025-05-01, still open"
    indicators = success_indicators(deal, cohorts)
    assert [(i.factor, i.strength) for i in indicators] == [
        ("high_engagement", "strong"),  # 5 >= 1.5 x 3.3
        ("late_stage", "strong"),
    ]
