"""Whole UTC days as instants: how a date range given by its first and last day (both
included) becomes the timestamps queries compare with."""

from __future__ import annotations

from datetime import UTC, date, datetime, time


def day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, UTC)


def day_end(day: date) -> datetime:
    """The day's last microsecond, so a range ending on `day` includes all of it."""
    return datetime.combine(day, time.max, UTC)
