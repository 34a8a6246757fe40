"""What a score means for the sales team: the qualification status by the tenant's
thresholds, the key factors, recommendations and the next best action (004's "AI Lead
Score" response), each decided by plain rules over the scored factors."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from crmgraph.domain import bounds
from crmgraph.domain.scoring.model import Scored
from crmgraph.domain.scoring.rules import ScoringRules

KEY_FACTORS = bounds.KEY_FACTORS
# When the next best action is due, by its priority: days after the scoring, at 14:00 UTC.
DUE_DAYS = {"high": 1, "medium": 3, "low": 7}


class Qualification(StrEnum):
    QUALIFIED = "QUALIFIED"  # score >= qualified threshold (default 70)
    NURTURE = "NURTURE"  # score >= nurture threshold (default 40)
    UNQUALIFIED = "UNQUALIFIED"


@dataclass(frozen=True)
class KeyFactor:
    factor: str
    points: int
    impact: str  # high (|points| > 10), medium (5..10), low
    reason: str
    manual: bool = False


@dataclass(frozen=True)
class NextAction:
    action: str
    priority: str  # high, medium, low
    suggested_time: datetime


def qualification(score: int, rules: ScoringRules) -> Qualification:
    if score >= rules.qualified_threshold:
        return Qualification.QUALIFIED
    if score >= rules.nurture_threshold:
        return Qualification.NURTURE
    return Qualification.UNQUALIFIED


def impact(points: int) -> str:
    size = abs(points)
    return "high" if size > 10 else "medium" if size >= 5 else "low"


def key_factors(scored: Scored) -> list[KeyFactor]:
    """The factors and adjustments that moved the score most (by |points|, then name)."""
    found = [
        KeyFactor(f.factor, f.points, impact(f.points), f.reason)
        for f in scored.factors
        if f.points
    ]
    found += [
        KeyFactor(
            a.factor, a.points, impact(a.points), a.reason or "manual adjustment", manual=True
        )
        for a in scored.adjustments
        if a.points
    ]
    found.sort(key=lambda k: (-abs(k.points), k.factor))
    return found[:KEY_FACTORS]


def _points(scored: Scored, factor: str) -> int:
    return sum(f.points for f in scored.factors if f.factor == factor)


def recommendations(scored: Scored, status: Qualification) -> list[str]:
    has = {f.factor for f in scored.factors if f.points > 0}
    unknown = {f.factor for f in scored.factors if f.value is None}
    advice: list[str] = []
    if "demo_requested" in has and "meetings" not in has:
        advice.append("Schedule the requested demo within 24 hours")
    if status is Qualification.QUALIFIED:
        advice.append("Assign to a senior sales rep")
    if "pricing_page_visited" in has:
        advice.append("Send pricing and an ROI summary")
    if "content_downloads" in has:
        advice.append("Send technical documentation")
    if "decision_maker" not in has and _points(scored, "title_seniority") < 8:
        advice.append("Identify the decision maker")
    if "budget" in unknown:
        advice.append("Confirm budget")
    if "timeline_urgency" in unknown:
        advice.append("Ask about the timeline")
    if status is Qualification.UNQUALIFIED and not has & {"email_opens", "website_visits"}:
        advice.append("Add to a nurture campaign")
    return advice


def next_best_action(scored: Scored, status: Qualification, at: datetime) -> NextAction:
    has = {f.factor for f in scored.factors if f.points > 0}
    if "demo_requested" in has and "meetings" not in has:
        action, priority = "schedule_demo", "high"
    elif status is Qualification.QUALIFIED:
        action, priority = "schedule_discovery_call", "high"
    elif status is Qualification.NURTURE:
        action, priority = "follow_up", "medium"
    else:
        action, priority = "nurture", "low"
    day = at + timedelta(days=DUE_DAYS[priority])
    return NextAction(action, priority, day.replace(hour=14, minute=0, second=0, microsecond=0))
