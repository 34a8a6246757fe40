"""Split an amount of money by weights into cents that add up exactly (largest remainder)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from fractions import Fraction
from math import lcm

from crmgraph.domain.attribution.journeys import CENT

# A weight is exact: an integer or a fraction. Only the ratios of a journey's weights count.
Weight = Fraction | int


def allocate(amount: Decimal, weights: Sequence[Weight]) -> tuple[Decimal, ...]:
    """Each share's exact quota in cents (amount * weight / sum of weights) is floored; the
    cents left over go one each to the largest fractional parts, ties to the earlier
    position. The shares sum to `amount`.

    `amount` is in whole cents and at least zero; weights are at least zero and not all zero.
    """
    if not weights or any(w < 0 for w in weights) or not any(weights):
        raise ValueError("weights must be non-negative and not all zero")
    # Integers over a common denominator: the same quotas, without Fraction arithmetic.
    common = lcm(*(w.denominator for w in weights))
    scaled = [w.numerator * (common // w.denominator) for w in weights]
    total = sum(scaled)
    cents = int(amount / CENT)
    floors, remainders = zip(*(divmod(cents * w, total) for w in scaled), strict=True)
    shares = list(floors)
    by_remainder = sorted(range(len(shares)), key=lambda i: (-remainders[i], i))
    for i in by_remainder[: cents - sum(shares)]:
        shares[i] += 1
    return tuple(Decimal(c) * CENT for c in shares)
