"""Deal.winProbability: the deal's chance of being won, its interval and its reasons, as
the API design's deal-probability response (README: Deal win probability)."""

from __future__ import annotations

from datetime import datetime
from typing import TypeAlias

import strawberry

from crmgraph.gql.enums import graphql_enum
from crmgraph.reporting.win_facts import WinProbability as Found
from crmgraph.reporting.win_probability import MIN_HISTORY, Method

WinProbabilityMethod: TypeAlias = Method
graphql_enum(
    WinProbabilityMethod,
    name="WinProbabilityMethod",
    description="How a win probability was found.",
    values={
        Method.HISTORY: "From the tenant's closed deals that reached the stage, the similar "
        "ones shrunk toward all of them and those toward the stage probability.",
        Method.STAGE_PROBABILITY: f"Fewer than {MIN_HISTORY} closed deals reached the stage: "
        "its probability.",
        Method.CLOSED: "The deal is WON (1) or LOST (0).",
    },
)


@strawberry.type(description="Something that lowers a deal's chances, and what to do.")
class DealRiskFactor:
    factor: str = strawberry.field(
        description="long_time_in_stage, low_engagement, weak_similar_deals, "
        "no_expected_close_date or overdue."
    )
    impact: str = strawberry.field(description="low, medium or high.")
    mitigation: str
    evidence: str = strawberry.field(description="The numbers compared.")


@strawberry.type(description="Something that raises a deal's chances.")
class DealSuccessIndicator:
    factor: str = strawberry.field(
        description="high_engagement, strong_similar_deals or late_stage."
    )
    strength: str = strawberry.field(description="moderate or strong.")
    evidence: str = strawberry.field(description="The numbers compared.")


@strawberry.type(description="A deal's chance of being won (README: Deal win probability).")
class WinProbability:
    probability: float = strawberry.field(description="0 to 1.")
    low: float | None = strawberry.field(
        description="Lower end of the 95% interval (Wilson); null for STAGE_PROBABILITY."
    )
    high: float | None = strawberry.field(description="Upper end of the 95% interval.")
    method: WinProbabilityMethod
    based_on_deals: int = strawberry.field(
        description="Closed deals similar to this one (its stage, value band, activity band, "
        "at least as long in the stage) the estimate rests on."
    )
    similar_deals_won: int
    similar_deals_lost: int
    stage_deals: int = strawberry.field(
        description="Closed deals of the pipeline that reached the deal's stage."
    )
    stage_deals_won: int
    expected_value: float = strawberry.field(description="The deal's value times probability.")
    expected_close_date: datetime | None
    risk_factors: list[DealRiskFactor] = strawberry.field(description="At most 5.")
    success_indicators: list[DealSuccessIndicator] = strawberry.field(description="At most 3.")

    @classmethod
    def of(cls, found: Found) -> WinProbability:
        est, cohorts = found.estimate, found.estimate.cohorts
        return cls(
            probability=est.probability,
            low=est.low,
            high=est.high,
            method=est.method,
            based_on_deals=cohorts.match_deals,
            similar_deals_won=cohorts.match_won,
            similar_deals_lost=cohorts.match_lost,
            stage_deals=cohorts.stage_deals,
            stage_deals_won=cohorts.stage_won,
            expected_value=float(found.value) * est.probability,
            expected_close_date=found.expected_close,
            risk_factors=[DealRiskFactor(**r.__dict__) for r in found.risk_factors],
            success_indicators=[
                DealSuccessIndicator(**s.__dict__) for s in found.success_indicators
            ],
        )
