"""Why a deal's win probability is what it is: risk factors and success indicators, as in
the API design's deal-probability response (pure; no I/O).

Each compares the deal with the won deals of its cohort (crmgraph.reporting.win_probability)
or with its own dates, and says the numbers it compared in `evidence`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from crmgraph.reporting.win_probability import Cohorts, OpenDeal

HISTORY_GAP = 0.10  # a matching cohort this far from the stage rate is worth a word
MIN_SIMILAR = 3  # matching closed deals needed before their rate is compared
LATE_STAGE = 75  # stage probability (%) from which a stage counts as late


@dataclass(frozen=True)
class RiskFactor:
    factor: str
    impact: str  # low | medium | high
    mitigation: str
    evidence: str


@dataclass(frozen=True)
class SuccessIndicator:
    factor: str
    strength: str  # moderate | strong
    evidence: str


def _rate(won: int, deals: int) -> str:
    return f"{won} of {deals} ({100 * won / deals:.0f}%)"


def risk_factors(
    deal: OpenDeal, cohorts: Cohorts, *, expected_close: datetime | None, now: datetime
) -> list[RiskFactor]:
    """At most five, in this order: time in stage, engagement, similar deals, dates."""
    if deal.status != "ACTIVE":
        return []
    found: list[RiskFactor] = []
    days = cohorts.won_avg_days
    if days is not None and deal.days_in_stage > days:
        found.append(RiskFactor(
            "long_time_in_stage",
            "high" if deal.days_in_stage > 2 * days else "medium",
            "Agree a next step and its date with the buyer",
            f"{deal.days_in_stage} days in {deal.stage_name}; won deals left it after "
            f"{days:.1f} days on average",
        ))  # fmt: skip
    acts = cohorts.won_avg_activities
    if acts is not None and deal.activities < acts:
        found.append(RiskFactor(
            "low_engagement",
            "high" if deal.activities == 0 else "medium",
            "Increase follow-up frequency: schedule a call or a meeting",
            f"{deal.activities} activities; won deals that reached {deal.stage_name} had "
            f"{acts:.1f} on average",
        ))  # fmt: skip
    gap = _history_gap(cohorts)
    if gap is not None and gap <= -HISTORY_GAP:
        found.append(RiskFactor(
            "weak_similar_deals",
            "medium",
            "Review what lost the similar deals before the next step",
            f"similar deals won {_rate(cohorts.match_won, cohorts.match_deals)}; all deals "
            f"that reached {deal.stage_name} won {_rate(cohorts.stage_won, cohorts.stage_deals)}",
        ))  # fmt: skip
    if expected_close is None:
        found.append(RiskFactor(
            "no_expected_close_date", "low", "Set an expected close date",
            "the deal has no expected close date",
        ))  # fmt: skip
    elif expected_close < now:
        found.append(RiskFactor(
            "overdue", "high", "Confirm the close date with the buyer and update it",
            f"expected to close on {expected_close.date().isoformat()}, still open",
        ))  # fmt: skip
    return found


def success_indicators(deal: OpenDeal, cohorts: Cohorts) -> list[SuccessIndicator]:
    """At most three: engagement, similar deals, a late stage."""
    if deal.status != "ACTIVE":
        return []
    found: list[SuccessIndicator] = []
    acts = cohorts.won_avg_activities
    if acts is not None and deal.activities > 0 and deal.activities >= acts:
        found.append(SuccessIndicator(
            "high_engagement",
            "strong" if deal.activities >= 1.5 * acts else "moderate",
            f"{deal.activities} activities; won deals that reached {deal.stage_name} had "
            f"{acts:.1f} on average",
        ))  # fmt: skip
    gap = _history_gap(cohorts)
    if gap is not None and gap >= HISTORY_GAP:
        found.append(SuccessIndicator(
            "strong_similar_deals",
            "strong" if gap >= 2 * HISTORY_GAP else "moderate",
            f"similar deals won {_rate(cohorts.match_won, cohorts.match_deals)}; all deals "
            f"that reached {deal.stage_name} won {_rate(cohorts.stage_won, cohorts.stage_deals)}",
        ))  # fmt: skip
    if deal.stage_probability >= LATE_STAGE:
        found.append(SuccessIndicator(
            "late_stage", "strong",
            f"{deal.stage_name} is a late stage ({deal.stage_probability}% by the pipeline)",
        ))  # fmt: skip
    return found


def _history_gap(cohorts: Cohorts) -> float | None:
    """Matching cohort's win rate minus the stage cohort's, when both are worth comparing."""
    if cohorts.match_deals < MIN_SIMILAR or not cohorts.stage_deals:
        return None
    return cohorts.match_won / cohorts.match_deals - cohorts.stage_won / cohorts.stage_deals
