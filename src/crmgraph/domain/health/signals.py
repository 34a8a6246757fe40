"""Risk factors and opportunities read off the component scores and their factors."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from crmgraph.domain.health.components import FINANCIAL_WINDOW, Component
from crmgraph.domain.health.facts import AccountFacts

SUPPORT_RISK, SUPPORT_HIGH_RISK = 50.0, 25.0
DECLINE, STEEP_DECLINE = 10.0, 20.0
UPSELL_FLOOR = 70.0  # financial and engagement both at least this
REFERRAL_SCORE, REFERRAL_SUPPORT = 85.0, 80.0


@dataclass(frozen=True)
class Risk:
    type: str
    severity: str  # low | medium | high
    description: str
    recommendation: str


@dataclass(frozen=True)
class Opportunity:
    type: str
    confidence: int  # 0-100
    description: str
    estimated_value: float
    recommendation: str


def value(component: Component, factor: str) -> float | None:
    return next((f.value for f in component.factors if f.name == factor), None)


def risks(c: Mapping[str, Component], score: float, previous: float | None) -> tuple[Risk, ...]:
    found: list[Risk] = []
    tickets = value(c["support"], "tickets_last_30d") or 0
    if tickets and c["support"].score < SUPPORT_RISK:
        found.append(Risk("support_issues",
                          "high" if c["support"].score < SUPPORT_HIGH_RISK else "medium",
                          f"{tickets:g} support tickets in the last 30 days",
                          "Schedule a proactive health check call"))  # fmt: skip
    overdue = value(c["support"], "overdue_tasks") or 0
    if overdue:
        found.append(Risk("overdue_tasks", "medium" if overdue >= 3 else "low",
                          f"{overdue:g} overdue tasks",
                          "Complete or reschedule the overdue tasks"))  # fmt: skip
    rate = value(c["financial"], "win_rate_365d")
    if rate is not None and rate < 0.5:
        found.append(Risk("deal_losses", "medium",
                          "More deal value lost than won in the last 365 days",
                          "Review the lost deals with the account owner"))  # fmt: skip
    stalled = value(c["delivery"], "stalled_deals") or 0
    if stalled:
        found.append(Risk("stalled_deals", "medium",
                          f"{stalled:g} open deals in their stage over twice the average stay",
                          "Agree next steps on the stalled deals"))  # fmt: skip
    since = value(c["engagement"], "days_since_last_interaction")
    if since is None or since > 30:
        found.append(Risk("disengagement", "high" if since is None or since > 90 else "medium",
                          "No interaction in the last 30 days" if since is not None
                          else "No interaction recorded",
                          "Reach out to the account's contacts"))  # fmt: skip
    if previous is not None and previous - score >= DECLINE:
        found.append(Risk("declining_health",
                          "high" if previous - score >= STEEP_DECLINE else "medium",
                          f"Health fell from {previous:g} to {score:g} since last month",
                          "Schedule a customer success review"))  # fmt: skip
    return tuple(found)


def average_won(facts: AccountFacts, now: datetime) -> float:
    won = [d.value for d in facts.deals if d.status_at(now) == "WON" and d.closed_at
           and d.closed_at > now - FINANCIAL_WINDOW]  # fmt: skip
    return float(sum(won, Decimal(0)) / len(won)) if won else 0.0


def opportunities(
    c: Mapping[str, Component], score: float, facts: AccountFacts, won: Decimal, now: datetime
) -> tuple[Opportunity, ...]:
    found: list[Opportunity] = []
    fin, eng = c["financial"].score, c["engagement"].score
    if fin >= UPSELL_FLOOR and eng >= UPSELL_FLOOR and won > 0:
        found.append(Opportunity("upsell", round(min(fin, eng)),
                                 "Strong financial health and engagement",
                                 round(average_won(facts, now), 2),
                                 "Propose an additional product or a larger plan"))  # fmt: skip
    if score >= REFERRAL_SCORE and c["support"].score >= REFERRAL_SUPPORT:
        found.append(Opportunity("referral", round(score), "A healthy, satisfied customer",
                                 0.0, "Ask for a referral or a case study"))  # fmt: skip
    return tuple(found)
