"""The computed fields of activities (isOverdue, daysUntilDue, isUpcoming, isRecent) at now:
the request's instant (crmgraph.gql.context.Context.now), so one answer reads one clock."""

from __future__ import annotations

from datetime import datetime, timedelta

OPEN_TASK_STATUSES = ("PENDING", "IN_PROGRESS")
RECENT = timedelta(days=7)  # a communication's isRecent window


def task_is_overdue(status: str, due: datetime | None, now: datetime) -> bool:
    """Still open (PENDING or IN_PROGRESS) with its due date past."""
    return status in OPEN_TASK_STATUSES and due is not None and due < now


def days_until(due: datetime | None, now: datetime) -> int | None:
    """Whole days until due, negative once past; None without a due date."""
    return None if due is None else (due - now).days


def is_upcoming(start: datetime, now: datetime) -> bool:
    return start > now


def is_recent(at: datetime, now: datetime) -> bool:
    """Within the last RECENT, and not in the future."""
    return now - RECENT <= at <= now
