"""The parts of a health report that both of its wire shapes show alike, as plain values in
the domain's field names: each component with its weight and factors, the risks, the
opportunities and the monthly trend. REST's answer (crmgraph.rest.customer_health, the
Zoho integration spec's shape) and GraphQL's CustomerHealth
(subgraphs.activities.types.health) each name and arrange the whole, and build their own
types from these, so the mapping of each part is written once."""

from __future__ import annotations

from typing import TypedDict

from crmgraph.domain.health.report import HealthReport


class FactorPart(TypedDict):
    name: str
    value: float | None
    points: float


class ComponentPart(TypedDict):
    name: str
    score: float
    weight: float
    factors: list[FactorPart]


class RiskPart(TypedDict):
    type: str
    severity: str
    description: str
    recommendation: str


class OpportunityPart(TypedDict):
    type: str
    confidence: int
    description: str
    estimated_value: float
    recommendation: str


class MonthPart(TypedDict):
    month: str
    score: float


class Parts(TypedDict):
    components: list[ComponentPart]
    risks: list[RiskPart]
    opportunities: list[OpportunityPart]
    trend: list[MonthPart]


def parts(r: HealthReport) -> Parts:
    return Parts(
        components=[
            ComponentPart(
                name=c.component.name,
                score=c.component.score,
                weight=c.weight,
                factors=[
                    FactorPart(name=f.name, value=f.value, points=f.points)
                    for f in c.component.factors
                ],
            )
            for c in r.components
        ],
        risks=[
            RiskPart(
                type=x.type,
                severity=x.severity,
                description=x.description,
                recommendation=x.recommendation,
            )
            for x in r.risks
        ],
        opportunities=[
            OpportunityPart(
                type=o.type,
                confidence=o.confidence,
                description=o.description,
                estimated_value=o.estimated_value,
                recommendation=o.recommendation,
            )
            for o in r.opportunities
        ],
        trend=[MonthPart(month=m.month, score=m.score) for m in r.trend],
    )
