"""The computed fields of activities at a given instant (crmgraph.domain.activity_times)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from crmgraph.domain.activity_times import days_until, is_recent, is_upcoming, task_is_overdue

NOW = datetime(2030, 6, 1, 12, tzinfo=UTC)
TICK = timedelta(microseconds=1)


def test_a_task_is_overdue_only_while_open_and_past_due() -> None:
    assert task_is_overdue("PENDING", NOW - TICK, NOW)
    assert task_is_overdue("IN_PROGRESS", NOW - TICK, NOW)
    assert not task_is_overdue("PENDING", NOW, NOW)
    assert not task_is_overdue("COMPLETED", NOW - TICK, NOW)
    assert not task_is_overdue("CANCELLED", NOW - TICK, NOW)
    assert not task_is_overdue("PENDING", None, NOW)


def test_days_until_counts_whole_days_and_goes_negative_once_past() -> None:
    assert days_until(None, NOW) is None
    assert days_until(NOW + timedelta(days=2, hours=23), NOW) == 2
    assert days_until(NOW, NOW) == 0
    assert days_until(NOW - TICK, NOW) == -1


def test_upcoming_and_recent_windows() -> None:
    assert is_upcoming(NOW + TICK, NOW) and not is_upcoming(NOW, NOW)
    assert is_recent(NOW, NOW) and is_recent(NOW - timedelta(days=7), NOW)
    assert not is_recent(NOW - timedelta(days=7) - TICK, NOW)
    assert not is_recent(NOW + TICK, NOW)
