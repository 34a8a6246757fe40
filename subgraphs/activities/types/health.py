"""Customer health as GraphQL types (README "Customer health"; the rules are
crmgraph.domain.health): CustomerHealth, its components, factors, risks, opportunities and
monthly trend, and the tenant's weights."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry

from crmgraph.domain.health import HealthReport, Weights
from crmgraph.domain.health.parts import parts


@strawberry.enum(description="healthy: score >= 70; at risk: >= 40; critical: below 40.")
class HealthStatus(Enum):
    HEALTHY = "healthy"
    AT_RISK = "at_risk"
    CRITICAL = "critical"


@strawberry.enum(description="How the score moved since last month's end (by 2 points or more).")
class HealthDirection(Enum):
    IMPROVING = "improving"
    DECLINING = "declining"
    STABLE = "stable"


@strawberry.type(description="What went into a component: the measured value and its points.")
class HealthFactor:
    name: str
    value: float | None = strawberry.field(description="Null when there is nothing to measure.")
    points: float


@strawberry.type(description="support, financial, delivery or engagement: 0-100, weighted.")
class HealthComponent:
    name: str
    score: float
    weight: float
    factors: list[HealthFactor]


@strawberry.type
class HealthRisk:
    type: str
    severity: str = strawberry.field(description="low, medium or high.")
    description: str
    recommendation: str


@strawberry.type
class HealthOpportunity:
    type: str
    confidence: int = strawberry.field(description="0-100.")
    description: str
    estimated_value: float
    recommendation: str


@strawberry.type(description="The score as of a month's end (the current month: as of now).")
class HealthMonth:
    month: str = strawberry.field(description="YYYY-MM.")
    score: float


@strawberry.type(description="Customer health of an account, 0-100 (README: Customer health).")
class CustomerHealth:
    account_id: strawberry.ID
    account_name: str
    score: float
    status: HealthStatus
    previous_score: float | None = strawberry.field(
        description="The score at last month's end; null when the trend has one month."
    )
    direction: HealthDirection
    computed_at: datetime
    components: list[HealthComponent]
    risk_factors: list[HealthRisk]
    opportunities: list[HealthOpportunity]
    trend: list[HealthMonth] = strawberry.field(description="Oldest month first.")

    @classmethod
    def from_report(cls, report: HealthReport) -> CustomerHealth:
        p = parts(report)
        return cls(
            account_id=strawberry.ID(str(report.facts.account_id)),
            account_name=report.facts.name,
            score=report.score,
            status=HealthStatus(report.status),
            previous_score=report.previous_score,
            direction=HealthDirection(report.direction),
            computed_at=report.computed_at,
            components=[
                HealthComponent(
                    name=c["name"],
                    score=c["score"],
                    weight=c["weight"],
                    factors=[HealthFactor(**f) for f in c["factors"]],
                )
                for c in p["components"]
            ],
            risk_factors=[HealthRisk(**x) for x in p["risks"]],
            opportunities=[HealthOpportunity(**o) for o in p["opportunities"]],
            trend=[HealthMonth(**m) for m in p["trend"]],
        )


@strawberry.type(description="A tenant's weights of the health components.")
class HealthWeights:
    support: float
    financial: float
    delivery: float
    engagement: float

    @classmethod
    def from_weights(cls, w: Weights) -> HealthWeights:
        return cls(support=w.support, financial=w.financial, delivery=w.delivery,
                   engagement=w.engagement)  # fmt: skip
