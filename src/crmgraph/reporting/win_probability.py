"""A deal's chance of being won, from the tenant's own closed deals (pure; no I/O).

The cohort of a deal in stage S is the closed (WON or LOST) deals of its pipeline that
reached S. Closed deals are described by cells (CohortCell: stage, value band, activity
band, band of the days they spent in S, won or lost, with counts). The estimate:

- fewer than MIN_HISTORY closed deals reached S: the stage probability, no interval;
- otherwise two steps of Beta-binomial shrinkage with PRIOR_STRENGTH pseudo-deals:
  stage rate  p_S = (won_S + m * stage probability) / (n_S + m) over all that reached S;
  estimate    p   = (won_M + m * p_S) / (n_M + m) over the matching cohort M: those of
  the deal's value band and activity band that stayed in S at least as long as the deal
  has so far (at least the lower bound of its days band);
  interval    Wilson's 95% score interval of p over n_M + m deals.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

MIN_HISTORY = 10  # closed deals that reached the stage before history is used
PRIOR_STRENGTH = 10  # pseudo-deals each shrinkage step adds at the broader rate
Z_95 = 1.96
# Lower bounds of each band after the first, so band 0 is below the first bound.
VALUE_BOUNDS = (Decimal(10_000), Decimal(50_000), Decimal(100_000))
ACTIVITY_BOUNDS = (1, 3)
DAYS_BOUNDS = (14, 30, 60)
VALUE_BANDS = ("under 10,000", "10,000 to 49,999", "50,000 to 99,999", "100,000 or more")
ACTIVITY_BANDS = ("no activity", "1 or 2 activities", "3 or more activities")
DAYS_BANDS = ("0 to 13 days", "14 to 29 days", "30 to 59 days", "60 days or more")


class Method(StrEnum):
    HISTORY = "HISTORY"  # the shrunk cohort estimate
    STAGE_PROBABILITY = "STAGE_PROBABILITY"  # too few closed deals reached the stage
    CLOSED = "CLOSED"  # the deal is WON (1) or LOST (0) already


def band(value: Decimal | float, bounds: Sequence[Decimal | float]) -> int:
    """Index of the band holding value: how many lower bounds it reaches."""
    return sum(1 for bound in bounds if value >= bound)


def days_band(days: int) -> int:
    return band(days, DAYS_BOUNDS)


def days_floor(band_index: int) -> int:
    """The fewest days in a stage of the band."""
    return 0 if band_index == 0 else DAYS_BOUNDS[band_index - 1]


@dataclass(frozen=True)
class CohortCell:
    """Closed deals that reached `stage` with these bands: how many, how many days they
    stayed in the stage and how many activities they had, in total."""

    stage: object  # the stage id
    value_band: int
    activity_band: int
    days_band: int
    won: bool
    deals: int
    stay_days: float = 0.0
    activities: int = 0


@dataclass(frozen=True)
class OpenDeal:
    """What the estimate knows of a deal."""

    stage: object
    stage_name: str
    stage_probability: int  # 0-100
    status: str  # ACTIVE | WON | LOST
    value: Decimal
    days_in_stage: int
    activities: int


@dataclass(frozen=True)
class Cohorts:
    """Counts behind an estimate: all closed deals that reached the stage, and the matching
    ones; the won deals' average days in the stage and activities (None without won)."""

    stage_won: int = 0
    stage_lost: int = 0
    match_won: int = 0
    match_lost: int = 0
    won_avg_days: float | None = None
    won_avg_activities: float | None = None

    @property
    def stage_deals(self) -> int:
        return self.stage_won + self.stage_lost

    @property
    def match_deals(self) -> int:
        return self.match_won + self.match_lost


@dataclass(frozen=True)
class Estimate:
    probability: float  # 0-1
    low: float | None
    high: float | None
    method: Method
    cohorts: Cohorts


def cohorts_of(deal: OpenDeal, cells: Iterable[CohortCell]) -> Cohorts:
    """Sums the cells of the deal's stage into its stage and matching cohorts."""
    value, activity = band(deal.value, VALUE_BOUNDS), band(deal.activities, ACTIVITY_BOUNDS)
    floor = days_band(deal.days_in_stage)
    won = lost = match_won = match_lost = won_activities = 0
    won_days = 0.0
    for cell in cells:
        if cell.stage != deal.stage:
            continue
        matches = (cell.value_band, cell.activity_band) == (value, activity)
        matches = matches and cell.days_band >= floor
        if cell.won:
            won += cell.deals
            match_won += cell.deals if matches else 0
            won_days += cell.stay_days
            won_activities += cell.activities
        else:
            lost += cell.deals
            match_lost += cell.deals if matches else 0
    return Cohorts(
        stage_won=won,
        stage_lost=lost,
        match_won=match_won,
        match_lost=match_lost,
        won_avg_days=won_days / won if won else None,
        won_avg_activities=won_activities / won if won else None,
    )


def wilson(p: float, n: float, z: float = Z_95) -> tuple[float, float]:
    """Wilson's score interval of a proportion p observed over n trials."""
    if n <= 0:
        return 0.0, 1.0
    scale = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / scale
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / scale
    return max(0.0, centre - half), min(1.0, centre + half)


def estimate(deal: OpenDeal, cells: Iterable[CohortCell]) -> Estimate:
    cohorts = cohorts_of(deal, cells)
    if deal.status != "ACTIVE":
        won = 1.0 if deal.status == "WON" else 0.0
        return Estimate(won, won, won, Method.CLOSED, cohorts)
    prior = deal.stage_probability / 100
    if cohorts.stage_deals < MIN_HISTORY:
        return Estimate(prior, None, None, Method.STAGE_PROBABILITY, cohorts)
    m = PRIOR_STRENGTH
    stage_rate = (cohorts.stage_won + m * prior) / (cohorts.stage_deals + m)
    p = (cohorts.match_won + m * stage_rate) / (cohorts.match_deals + m)
    low, high = wilson(p, cohorts.match_deals + m)
    return Estimate(p, low, high, Method.HISTORY, cohorts)
