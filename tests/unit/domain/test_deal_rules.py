"""The deal rules that need no database: the status a stage gives, days in stage and
overdue (Deal.daysInStage and Deal.isOverdue resolve with them)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from crmgraph.db import models
from crmgraph.domain.deals import days_in_stage, is_overdue, status_for_stage

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)


@pytest.mark.parametrize(
    ("probability", "status"), [(100, "WON"), (0, "LOST"), (1, "ACTIVE"), (99, "ACTIVE")]
)
def test_a_stage_at_100_wins_at_0_loses_and_otherwise_stays_open(
    probability: int, status: str
) -> None:
    assert status_for_stage(models.PipelineStage(probability=probability)) == status


@pytest.mark.parametrize(
    ("entered", "days"),
    [(NOW, 0), (NOW - timedelta(hours=23), 0), (NOW - timedelta(days=3, hours=1), 3),
     (NOW + timedelta(days=1), 0)],
)  # fmt: skip
def test_days_in_stage_are_whole_days_since_entering_and_never_negative(
    entered: datetime, days: int
) -> None:
    assert days_in_stage(models.Deal(stage_entered_at=entered), NOW) == days


@pytest.mark.parametrize(
    ("status", "close", "overdue"),
    [("ACTIVE", NOW - timedelta(seconds=1), True), ("ACTIVE", NOW + timedelta(days=1), False),
     ("ACTIVE", None, False), ("WON", NOW - timedelta(days=9), False),
     ("LOST", NOW - timedelta(days=9), False)],
)  # fmt: skip
def test_only_an_open_deal_past_its_expected_close_date_is_overdue(
    status: str, close: datetime | None, overdue: bool
) -> None:
    deal = models.Deal(status=status, expected_close_date=close)

    assert is_overdue(deal, NOW) is overdue
