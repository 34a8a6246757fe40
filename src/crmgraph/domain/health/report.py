"""A customer health report from an account's facts: the weighted overall score, its
status, the risk factors and opportunities the components show, and the monthly trend
(the same facts scored as of each month's end)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum

from crmgraph.domain.bounds import HEALTH_MONTHS
from crmgraph.domain.health.components import SCORERS, Component, closed_value, round1
from crmgraph.domain.health.facts import AccountFacts
from crmgraph.domain.health.signals import Opportunity, Risk, opportunities, risks
from crmgraph.domain.health.weights import DEFAULT_WEIGHTS, Weights
from crmgraph.errors import DomainError, ErrorCode

HEALTHY, AT_RISK = 70.0, 40.0  # at least HEALTHY: healthy; at least AT_RISK: at_risk
TREND_STEP = 2.0  # a change smaller than this is "stable"
DEFAULT_MONTHS = 6


class HealthStatus(StrEnum):
    """healthy: score >= 70; at risk: >= 40; critical: below 40."""

    HEALTHY = "healthy"
    AT_RISK = "at_risk"
    CRITICAL = "critical"


class HealthDirection(StrEnum):
    """How the score moved since last month's end (by TREND_STEP points or more)."""

    IMPROVING = "improving"
    DECLINING = "declining"
    STABLE = "stable"


@dataclass(frozen=True)
class WeightedComponent:
    component: Component
    weight: float


@dataclass(frozen=True)
class MonthScore:
    month: str  # YYYY-MM
    score: float


@dataclass(frozen=True)
class HealthReport:
    facts: AccountFacts
    computed_at: datetime
    score: float
    status: HealthStatus
    components: tuple[WeightedComponent, ...]
    risks: tuple[Risk, ...]
    opportunities: tuple[Opportunity, ...]
    trend: tuple[MonthScore, ...]  # oldest first, the last one is the current month
    previous_score: float | None
    direction: HealthDirection

    def of(self, name: str) -> Component:
        return next(c.component for c in self.components if c.component.name == name)


def scored(facts: AccountFacts, weights: Weights, at: datetime) -> tuple[float, list[Component]]:
    """The overall score as of `at`: the weighted mean of the components, 1 decimal."""
    parts = [score(facts, at) for score in SCORERS]
    exact = [(Decimal(repr(weights.of(c.name))), Decimal(repr(c.score))) for c in parts]
    total = sum((w * s for w, s in exact), Decimal(0)) / sum(w for w, _ in exact)
    return round1(total), parts


def status_of(score: float) -> HealthStatus:
    if score >= HEALTHY:
        return HealthStatus.HEALTHY
    return HealthStatus.AT_RISK if score >= AT_RISK else HealthStatus.CRITICAL


def month_ends(now: datetime, months: int) -> list[tuple[str, datetime]]:
    """The last `months` calendar months up to now's, each with the moment it is scored at:
    its last microsecond, or now for the current month."""
    year, month = now.year, now.month
    found: list[tuple[str, datetime]] = []
    for back in range(months):
        m = month - back
        y = year + (m - 1) // 12
        m = (m - 1) % 12 + 1
        next_start = now.replace(year=y + m // 12, month=m % 12 + 1, day=1, hour=0, minute=0,
                                 second=0, microsecond=0)  # fmt: skip
        found.append((f"{y:04d}-{m:02d}", min(now, next_start - timedelta(microseconds=1))))
    return found[::-1]


def direction_of(current: float, previous: float | None) -> HealthDirection:
    if previous is None or abs(current - previous) < TREND_STEP:
        return HealthDirection.STABLE
    return HealthDirection.IMPROVING if current > previous else HealthDirection.DECLINING


def checked_months(months: int) -> int:
    """A trend length a caller may ask for: 1 to bounds.HEALTH_MONTHS, else VALIDATION_ERROR."""
    if not 1 <= months <= HEALTH_MONTHS:
        message = f"months must be between 1 and {HEALTH_MONTHS}"
        raise DomainError(ErrorCode.VALIDATION_ERROR, message, field="months")
    return months


def assess(
    facts: AccountFacts,
    now: datetime,
    weights: Weights = DEFAULT_WEIGHTS,
    months: int = DEFAULT_MONTHS,
) -> HealthReport:
    """The account's health as of now, with a trend over `months` months (at least 1)."""
    score, parts = scored(facts, weights, now)
    trend = [MonthScore(label, score if at == now else scored(facts, weights, at)[0])
             for label, at in month_ends(now, max(1, months))]  # fmt: skip
    previous = trend[-2].score if len(trend) > 1 else None
    by_name = {c.name: c for c in parts}
    won = closed_value(facts.deals, "WON", now)
    return HealthReport(
        facts=facts,
        computed_at=now,
        score=score,
        status=status_of(score),
        components=tuple(WeightedComponent(c, weights.of(c.name)) for c in parts),
        risks=risks(by_name, score, previous),
        opportunities=opportunities(by_name, score, facts, won, now),
        trend=tuple(trend),
        previous_score=previous,
        direction=direction_of(score, previous),
    )
