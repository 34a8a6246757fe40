"""The four component scores, each 0-100 as of a moment and each the sum of its factors'
points (README "Customer health" gives every formula and a worked example)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from crmgraph.domain.health.facts import AccountFacts, DealFact

DAY = timedelta(days=1)
TICKET_WINDOW = timedelta(days=30)
TICKET_POINTS, TICKET_CAP = 10.0, 50.0
OVERDUE_POINTS, OVERDUE_CAP = 10.0, 50.0
FINANCIAL_WINDOW = timedelta(days=365)
WIN_RATE_POINTS, NO_CLOSED_DEALS_POINTS, RECENT_WIN_POINTS, OPEN_PIPELINE_POINTS = 50, 25, 30, 20
PROGRESS_POINTS, PACE_POINTS, NO_OPEN_DEALS_POINTS = 60.0, 40.0, 50.0
DEFAULT_STAGE_DAYS = 30.0
MIN_STAGE_DAYS = 1.0  # a deal moved twice in a minute must not make every other one "late"
STALLED_FACTOR = 2.0
ENGAGEMENT_WINDOW = timedelta(days=90)
RECENCY_POINTS = ((7, 60.0), (30, 45.0), (90, 20.0))  # (at most this many days ago, points)
FREQUENCY_POINTS, FREQUENCY_CAP = 4.0, 40.0


@dataclass(frozen=True)
class Factor:
    """What went into a component: its measured value and the points it gave (or took)."""

    name: str
    value: float | None  # None: nothing to measure (no closed deal, no interaction)
    points: float


@dataclass(frozen=True)
class Component:
    name: str  # support | financial | delivery | engagement
    score: float
    factors: tuple[Factor, ...]


def days_between(earlier: datetime, later: datetime) -> float:
    return (later - earlier) / DAY


def round1(value: float | Decimal) -> float:
    """To 1 decimal, halves away from zero (76.625 is 76.6 to round(), 76.7 here)."""
    exact = value if isinstance(value, Decimal) else Decimal(repr(value))
    return float(exact.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def component(name: str, base: float, *factors: Factor) -> Component:
    score = base + sum(f.points for f in factors)
    return Component(name, round1(min(100.0, max(0.0, score))), factors)


def support(facts: AccountFacts, at: datetime) -> Component:
    """100, less 10 a ticket with an event in the last 30 days (at most 50) and 10 an
    overdue task (at most 50)."""
    tickets = {t.ticket for t in facts.support if at - TICKET_WINDOW < t.occurred_at <= at}
    overdue = sum(1 for task in facts.tasks if task.overdue_at(at))
    return component(
        "support",
        100.0,
        Factor("tickets_last_30d", len(tickets), -min(TICKET_CAP, TICKET_POINTS * len(tickets))),
        Factor("overdue_tasks", overdue, -min(OVERDUE_CAP, OVERDUE_POINTS * overdue)),
    )


def closed_value(deals: tuple[DealFact, ...], status: str, at: datetime) -> Decimal:
    return sum(
        (d.value for d in deals if d.status_at(at) == status and d.closed_at is not None
         and d.closed_at > at - FINANCIAL_WINDOW),
        Decimal(0),
    )  # fmt: skip


def open_value(deals: tuple[DealFact, ...], at: datetime) -> Decimal:
    return sum((d.value for d in deals if d.status_at(at) == "ACTIVE"), Decimal(0))


def financial(facts: AccountFacts, at: datetime) -> Component:
    """Win rate by value over the last 365 days (50 x won / (won + lost), 25 with nothing
    closed), 30 for any deal won in that time, 20 for any open deal value."""
    won = closed_value(facts.deals, "WON", at)
    lost = closed_value(facts.deals, "LOST", at)
    opened = open_value(facts.deals, at)
    closed = won + lost
    rate = float(won / closed) if closed > 0 else None
    rate_points = NO_CLOSED_DEALS_POINTS if rate is None else WIN_RATE_POINTS * rate
    return component(
        "financial",
        0.0,
        Factor("win_rate_365d", None if rate is None else round(rate, 4), round(rate_points, 2)),
        Factor("closed_won_value_365d", float(won), RECENT_WIN_POINTS if won > 0 else 0),
        Factor("open_deal_value", float(opened), OPEN_PIPELINE_POINTS if opened > 0 else 0),
    )


def average_stage_days(deals: tuple[DealFact, ...], at: datetime) -> float:
    """How long the account's deals stayed in a stage they left by `at`, on average (at
    least a day)."""
    stays = [
        days_between(a.entered_at, b.entered_at)
        for deal in deals
        for a, b in zip(deal.stages, deal.stages[1:], strict=False)
        if b.entered_at <= at
    ]
    return max(MIN_STAGE_DAYS, sum(stays) / len(stays)) if stays else DEFAULT_STAGE_DAYS


def delivery(facts: AccountFacts, at: datetime) -> Component:
    """Over the deals open at `at`: 60 x the mean stage probability plus 40 x the mean pace
    (1 while a deal has been in its stage no longer than the average stay, else average /
    days in stage); 50 with no open deal."""
    average = average_stage_days(facts.deals, at)
    progress: list[float] = []
    pace: list[float] = []
    stalled = 0
    for deal in facts.deals:
        stage = deal.stage_at(at)
        if deal.status_at(at) != "ACTIVE" or stage is None:
            continue
        days = max(0.0, days_between(stage.entered_at, at))
        progress.append(stage.probability / 100)
        pace.append(1.0 if days <= average else average / days)
        stalled += days > STALLED_FACTOR * average
    if not progress:
        return component("delivery", NO_OPEN_DEALS_POINTS, Factor("open_deals", 0, 0))
    mean_progress = sum(progress) / len(progress)
    mean_pace = sum(pace) / len(pace)
    return component(
        "delivery",
        0.0,
        Factor("open_deals", len(progress), 0),
        Factor("stage_probability", round(mean_progress, 4),
               round(PROGRESS_POINTS * mean_progress, 2)),
        Factor("stage_pace", round(mean_pace, 4), round(PACE_POINTS * mean_pace, 2)),
        Factor("stalled_deals", stalled, 0),
    )  # fmt: skip


def engagement(facts: AccountFacts, at: datetime) -> Component:
    """Recency of the latest interaction (60 within 7 days, 45 within 30, 20 within 90)
    plus 4 an interaction in the last 90 days (at most 40)."""
    past = [t for t in facts.interactions if t <= at]
    since = days_between(max(past), at) if past else None
    recency = next((p for days, p in RECENCY_POINTS if since is not None and since <= days), 0.0)
    recent = sum(1 for t in past if t > at - ENGAGEMENT_WINDOW)
    return component(
        "engagement",
        0.0,
        Factor("days_since_last_interaction", None if since is None else round(since, 1), recency),
        Factor("interactions_last_90d", recent, min(FREQUENCY_CAP, FREQUENCY_POINTS * recent)),
    )


SCORERS = (support, financial, delivery, engagement)
