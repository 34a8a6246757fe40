"""Split an amount of money by weights into cents that add up exactly (largest remainder)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from fractions import Fraction

from crmgraph.domain.attribution.journeys import CENT


def allocate(amount: Decimal, weights: Sequence[Fraction]) -> tuple[Decimal, ...]:
    """Each share's exact quota in cents is floored; the cents left over go one each to the
    largest fractional parts, ties to the earlier position. The shares sum to `amount`.

    `amount` is in whole cents and at least zero; weights are at least zero and not all zero.
    """
    total = sum(weights, Fraction(0))
    if not weights or total <= 0 or any(w < 0 for w in weights):
        raise ValueError("weights must be non-negative and not all zero")
    cents = int(amount / CENT)
    quotas = [Fraction(cents) * w / total for w in weights]
    floors = [q.numerator // q.denominator for q in quotas]
    left = cents - sum(floors)
    by_remainder = sorted(range(len(quotas)), key=lambda i: (-(quotas[i] - floors[i]), i))
    for i in by_remainder[:left]:
        floors[i] += 1
    return tuple(Decimal(c) * CENT for c in floors)
