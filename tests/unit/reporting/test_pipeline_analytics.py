"""Pipeline analytics by hand (README: Pipeline analytics)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from crmgraph.reporting.pipeline_analytics import (
    DAY_SECONDS,
    ClosedFacts,
    Period,
    StageFacts,
    analytics,
    window_start,
)


def test_windows_end_now() -> None:
    now = datetime(2025, 6, 30, tzinfo=UTC)
    assert window_start(Period.LAST_30_DAYS, now) == datetime(2025, 5, 31, tzinfo=UTC)
    assert window_start(Period.ALL_TIME, now) is None


def test_conversion_time_in_stage_win_rate_and_velocity() -> None:
    stages = [
        StageFacts(
            "p", "Proposal", 2, 50, entered=2, advanced=1, stays=1, stay_seconds=6 * DAY_SECONDS
        ),
        StageFacts(
            "l", "Lead", 1, 10, entered=4, advanced=2, stays=3, stay_seconds=9 * DAY_SECONDS
        ),
        StageFacts("w", "Won", 3, 100),
    ]
    closed = ClosedFacts(
        won=3, lost=1, won_value=Decimal("9000.00"), won_cycle_seconds=30 * DAY_SECONDS,
        open_deals=5, open_value=Decimal(1),
    )  # fmt: skip
    result = analytics(stages, closed)

    assert [(s.facts.name, s.conversion_rate, s.average_days) for s in result.stages] == [
        ("Lead", 50.0, 3.0),
        ("Proposal", 50.0, 6.0),
        ("Won", None, None),
    ]
    assert result.win_rate == 75.0
    assert result.average_deal_size == 3000
    assert result.average_sales_cycle_days == 10.0
    # 5 open x 3000 x 3/4 / 10 days
    assert result.velocity_per_day == pytest.approx(Decimal(1125))


def test_nothing_closed_has_no_rates() -> None:
    result = analytics([], ClosedFacts(open_deals=3))
    assert (result.win_rate, result.average_deal_size, result.velocity_per_day) == (
        None, None, None,
    )  # fmt: skip
    lost_only = analytics([], ClosedFacts(lost=2, open_deals=3))
    assert (lost_only.win_rate, lost_only.velocity_per_day) == (0.0, None)
