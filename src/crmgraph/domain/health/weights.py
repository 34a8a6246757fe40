"""How much each component counts in the overall score: the tenant's own weights, or the
defaults of the Zoho integration spec's "Customer Health Scoring" (support 30, financial
35, project delivery 25, engagement 10)."""

from __future__ import annotations

from dataclasses import dataclass, fields

from crmgraph.errors import DomainError, ErrorCode

COMPONENTS = ("support", "financial", "delivery", "engagement")


@dataclass(frozen=True)
class Weights:
    support: float = 30.0
    financial: float = 35.0
    delivery: float = 25.0
    engagement: float = 10.0

    def of(self, component: str) -> float:
        value: float = getattr(self, component)
        return value

    @property
    def total(self) -> float:
        return sum(self.of(name) for name in COMPONENTS)


DEFAULT_WEIGHTS = Weights()


def checked_weights(
    support: float, financial: float, delivery: float, engagement: float
) -> Weights:
    """Weights a tenant may set: each finite and non-negative, their sum above zero; else
    VALIDATION_ERROR naming the field."""
    weights = Weights(support, financial, delivery, engagement)
    for item in fields(weights):
        value = weights.of(item.name)
        if not value >= 0 or value == float("inf"):
            raise DomainError(
                ErrorCode.VALIDATION_ERROR,
                f"{item.name} must be a finite number of at least 0",
                field=item.name,
            )
    if weights.total <= 0:
        raise DomainError(
            ErrorCode.VALIDATION_ERROR, "The weights must not all be 0", field="support"
        )
    return weights
