"""The rule-based models: each gives the touches of one path their weights (summing to 1).

Position models (first/last touch, U, W, full path, J, inverse J) give a share to each key
touch (a role) and spread a middle share equally over the touches that hold no role:
- roles: FIRST (the first touch), LEAD (the last touch at or before `lead_created_at`),
  OPPORTUNITY (the last at or before `opportunity_created_at`), LAST (the last touch of the
  path, the one before the close); the key conversion points HubSpot defines;
- one touch holding several roles gets the sum of their shares;
- a role no touch holds (no lead time, or no touch before it) and a middle share with no
  middle touch leave out their share, and what is given is scaled back up to 100%.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from fractions import Fraction

from crmgraph.domain.attribution.journeys import Journey, Touchpoint, last_at_or_before

DEFAULT_HALF_LIFE = timedelta(days=7)


class Model(StrEnum):
    FIRST_TOUCH = "first_touch"
    LAST_TOUCH = "last_touch"
    LINEAR = "linear"
    TIME_DECAY = "time_decay"
    POSITION_BASED = "position_based"  # U-shaped
    W_SHAPED = "w_shaped"
    FULL_PATH = "full_path"  # Z-shaped
    J_SHAPED = "j_shaped"
    INVERSE_J = "inverse_j"
    DATA_DRIVEN = "data_driven"


class Role(StrEnum):
    FIRST = "first"
    LEAD = "lead"
    OPPORTUNITY = "opportunity"
    LAST = "last"


_P = Fraction
# (role shares, middle share) per position model, in percent.
POSITIONS: dict[Model, tuple[dict[Role, Fraction], Fraction]] = {
    Model.FIRST_TOUCH: ({Role.FIRST: _P(100)}, _P(0)),
    Model.LAST_TOUCH: ({Role.LAST: _P(100)}, _P(0)),
    Model.POSITION_BASED: ({Role.FIRST: _P(40), Role.LAST: _P(40)}, _P(20)),
    Model.W_SHAPED: ({Role.FIRST: _P(30), Role.LEAD: _P(30), Role.OPPORTUNITY: _P(30)}, _P(10)),
    Model.FULL_PATH: (
        {r: _P(45, 2) for r in (Role.FIRST, Role.LEAD, Role.OPPORTUNITY, Role.LAST)},
        _P(10),
    ),
    Model.J_SHAPED: ({Role.FIRST: _P(20), Role.LAST: _P(60)}, _P(20)),
    Model.INVERSE_J: ({Role.FIRST: _P(60), Role.LAST: _P(20)}, _P(20)),
}


def roles(journey: Journey, touches: tuple[Touchpoint, ...]) -> dict[Role, int]:
    """The index of the touch holding each role that some touch holds."""
    if not touches:
        return {}
    found = {
        Role.FIRST: 0,
        Role.LEAD: last_at_or_before(touches, journey.lead_created_at),
        Role.OPPORTUNITY: last_at_or_before(touches, journey.opportunity_created_at),
        Role.LAST: len(touches) - 1,
    }
    return {role: i for role, i in found.items() if i is not None}


def position_weights(
    model: Model, journey: Journey, touches: tuple[Touchpoint, ...]
) -> tuple[Fraction, ...]:
    shares, middle = POSITIONS[model]
    held = roles(journey, touches)
    weights = [Fraction(0)] * len(touches)
    for role, share in shares.items():
        if role in held:
            weights[held[role]] += share
    keyed = {held[role] for role in shares if role in held}
    rest = [i for i in range(len(touches)) if i not in keyed]
    for i in rest:
        weights[i] += middle / len(rest)
    total = sum(weights, Fraction(0))
    return tuple(w / total for w in weights)


def linear_weights(touches: tuple[Touchpoint, ...]) -> tuple[int, ...]:
    """1 each (in proportion: 1/n of the revenue each)."""
    return (1,) * len(touches)


def time_decay_weights(
    touches: tuple[Touchpoint, ...], *, converted_at: datetime, half_life: timedelta
) -> tuple[int, ...]:
    """weight = 2^(-(converted_at - occurred_at) / half_life), in proportion.

    Computed relative to the latest touch (its weight 1): the same ratios, but a path months
    before its close does not underflow every weight to zero.
    """
    latest = max(t.occurred_at for t in touches)
    assert latest <= converted_at
    return exact_ratios([2.0 ** -((latest - t.occurred_at) / half_life) for t in touches])


def exact_ratios(values: list[float]) -> tuple[int, ...]:
    """Integers in exactly the ratios of the floats (each float is an integer over a power
    of two): what Fraction(value) gives, without Fraction arithmetic per touch."""
    ratios = [v.as_integer_ratio() for v in values]
    common = max(d for _, d in ratios)  # powers of two: the largest is their lcm
    return tuple(n * (common // d) for n, d in ratios)
