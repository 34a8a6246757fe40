"""The facts customer health is computed from: what the system holds about one account,
each fact timed, so that the same facts give the score as of any past moment (the monthly
trend) without reading anything again."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from uuid import UUID


@dataclass(frozen=True)
class SupportTicketEvent:
    """A support communication about the account: one Zoho Desk ticket event (opened,
    updated), recorded by crmgraph.zoho.activities; `ticket` is its number."""

    ticket: str
    occurred_at: datetime


@dataclass(frozen=True)
class TaskFact:
    """A task about the account or one of its contacts or deals."""

    created_at: datetime
    due_date: datetime | None
    completed_at: datetime | None
    cancelled: bool = False

    def overdue_at(self, at: datetime) -> bool:
        """Open at `at` (made, not yet completed) with its due date already past."""
        if self.cancelled or self.due_date is None or self.created_at > at:
            return False
        done = self.completed_at is not None and self.completed_at <= at
        return not done and self.due_date < at


@dataclass(frozen=True)
class StageVisit:
    """A deal entering a stage: when, and the stage's win probability (0-100)."""

    entered_at: datetime
    probability: int


@dataclass(frozen=True)
class DealFact:
    """A deal of the account. `stages` is its stage history in time order (the first visit
    when it was made); `closed_at` is set for WON and LOST deals."""

    value: Decimal
    status: str  # ACTIVE | WON | LOST
    created_at: datetime
    closed_at: datetime | None
    stages: tuple[StageVisit, ...]

    def status_at(self, at: datetime) -> str | None:
        """ACTIVE, WON or LOST as of `at`; None before it existed."""
        if self.created_at > at:
            return None
        if self.status != "ACTIVE" and (self.closed_at is None or self.closed_at <= at):
            return self.status
        return "ACTIVE"

    def stage_at(self, at: datetime) -> StageVisit | None:
        """The stage it was in at `at` (its first stage if no visit is that old)."""
        current = None
        for visit in self.stages:
            if visit.entered_at > at:
                break
            current = visit
        return current or (self.stages[0] if self.stages else None)


@dataclass(frozen=True)
class AccountFacts:
    """Everything health reads about one account. `interactions` are when communications
    other than support tickets and events with the account or its contacts happened."""

    account_id: UUID
    name: str
    support: tuple[SupportTicketEvent, ...] = ()
    tasks: tuple[TaskFact, ...] = ()
    deals: tuple[DealFact, ...] = ()
    interactions: tuple[datetime, ...] = ()
