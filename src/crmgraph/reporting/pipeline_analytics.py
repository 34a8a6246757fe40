"""Pipeline analytics over a trailing window (pure; no I/O).

From the stage history rows (deal_stage_changes), per stage: the deals that entered it in
the window, how many of them went on to a later stage (a higher order, not a 0% stage), and
the average days of the stays that began in the window; from the deals closed in the window:
win rate, average won deal size and sales cycle; and the sales velocity of the pipeline.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum

DAY_SECONDS = 86400.0


class Period(StrEnum):
    LAST_30_DAYS = "LAST_30_DAYS"
    LAST_90_DAYS = "LAST_90_DAYS"
    LAST_365_DAYS = "LAST_365_DAYS"
    ALL_TIME = "ALL_TIME"


DAYS = {Period.LAST_30_DAYS: 30, Period.LAST_90_DAYS: 90, Period.LAST_365_DAYS: 365}


def window_start(period: Period, now: datetime) -> datetime | None:
    """Start of the window ending now; None: since the beginning."""
    days = DAYS.get(period)
    return None if days is None else now - timedelta(days=days)


@dataclass(frozen=True)
class StageFacts:
    """One stage and its history in the window."""

    id: object
    name: str
    order: int
    probability: int
    entered: int = 0  # deals that entered the stage
    advanced: int = 0  # of those, deals that later entered a later, not lost, stage
    stays: int = 0  # stays begun in the window whose end is known
    stay_seconds: float = 0.0  # their total length


@dataclass(frozen=True)
class ClosedFacts:
    """Deals closed in the window, and the pipeline's open deals now."""

    won: int = 0
    lost: int = 0
    won_value: Decimal = Decimal(0)
    won_cycle_seconds: float = 0.0  # total, creation to close, of the won deals
    open_deals: int = 0
    open_value: Decimal = Decimal(0)


@dataclass(frozen=True)
class StageAnalytics:
    facts: StageFacts
    conversion_rate: float | None  # % of entered that advanced; None if none entered
    average_days: float | None


@dataclass(frozen=True)
class Analytics:
    stages: list[StageAnalytics]
    closed: ClosedFacts
    win_rate: float | None  # %, won / (won + lost)
    average_deal_size: Decimal | None  # of won deals
    average_sales_cycle_days: float | None  # of won deals
    velocity_per_day: Decimal | None


def analytics(stages: Sequence[StageFacts], closed: ClosedFacts) -> Analytics:
    """Velocity = open deals x average won deal size x win rate / sales cycle in days: the
    value the pipeline is expected to win per day (None without a won deal or cycle)."""
    per_stage = [
        StageAnalytics(
            s,
            100.0 * s.advanced / s.entered if s.entered else None,
            s.stay_seconds / s.stays / DAY_SECONDS if s.stays else None,
        )
        for s in sorted(stages, key=lambda s: s.order)
    ]
    closed_count = closed.won + closed.lost
    win_rate = closed.won / closed_count if closed_count else None
    size = closed.won_value / closed.won if closed.won else None
    cycle = closed.won_cycle_seconds / closed.won / DAY_SECONDS if closed.won else None
    velocity = None
    if size is not None and win_rate is not None and cycle:
        velocity = closed.open_deals * size * Decimal(closed.won) / closed_count
        velocity = velocity / Decimal(repr(cycle))
    return Analytics(
        stages=per_stage,
        closed=closed,
        win_rate=None if win_rate is None else 100.0 * win_rate,
        average_deal_size=size,
        average_sales_cycle_days=cycle,
        velocity_per_day=velocity,
    )
