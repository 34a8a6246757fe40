"""Attribute each journey's revenue to its touches under one model, to the cent."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from crmgraph.domain.attribution import journeys as jr
from crmgraph.domain.attribution import markov, rules
from crmgraph.domain.attribution.allocation import Weight, allocate
from crmgraph.domain.attribution.groups import GroupBy, key_of
from crmgraph.domain.attribution.journeys import Journey, Touchpoint
from crmgraph.domain.attribution.rules import DEFAULT_HALF_LIFE, Model
from crmgraph.errors import DomainError, ErrorCode

ZERO = Decimal("0.00")


@dataclass(frozen=True, kw_only=True)
class TouchCredit:
    touchpoint: Touchpoint
    key: str  # the touch's group key (its campaign id, source, medium or channel)
    amount: Decimal


@dataclass(frozen=True, kw_only=True)
class JourneyAttribution:
    """`credits`: one per touch of the path, in path order. A converted journey's credits
    plus `unattributed` equal its revenue; `unattributed` is its revenue when the path is
    empty, else 0. A journey that did not convert attributes 0."""

    journey: Journey
    credits: tuple[TouchCredit, ...]
    unattributed: Decimal

    @property
    def revenue(self) -> Decimal:
        return self.journey.revenue.quantize(jr.CENT) if self.journey.converted else ZERO


def attribute(
    journeys: Sequence[Journey],
    *,
    model: Model,
    group_by: GroupBy = GroupBy.CAMPAIGN,
    half_life: timedelta = DEFAULT_HALF_LIFE,
) -> tuple[JourneyAttribution, ...]:
    """One result per journey, in the order given. `group_by` names the keys of the credits
    and, for `data_driven`, the Markov chain's states; `half_life` is time decay's."""
    if half_life <= timedelta(0):
        raise DomainError(ErrorCode.VALIDATION_ERROR, "the half-life must be positive",
                          field="halfLife")  # fmt: skip
    for journey in journeys:
        jr.validate(journey)
    paths = [jr.path(j) for j in journeys]
    keyed = [[key_of(t, group_by) for t in p] for p in paths]  # each touch's key, once
    shares: dict[str, float] = {}
    if model is Model.DATA_DRIVEN:
        walks = [(keys, j.converted) for j, keys in zip(journeys, keyed, strict=True)]
        shares = markov.removal_effects(walks).shares
    out = []
    for journey, touches, keys in zip(journeys, paths, keyed, strict=True):
        # Whole cents (validated), written with two places like every credit.
        revenue = journey.revenue.quantize(jr.CENT) if journey.converted else ZERO
        if not touches:
            out.append(JourneyAttribution(journey=journey, credits=(), unattributed=revenue))
            continue
        # Nothing to split: every weighting gives each touch 0.00 (most journeys of the
        # data-driven model's set did not convert), so no weights are computed.
        amounts = (
            (ZERO,) * len(touches)
            if revenue == 0
            else allocate(revenue, _weights(model, journey, touches, keys, shares, half_life))
        )
        credits = tuple(TouchCredit(touchpoint=t, key=k, amount=a)
                        for t, k, a in zip(touches, keys, amounts, strict=True))  # fmt: skip
        out.append(JourneyAttribution(journey=journey, credits=credits, unattributed=ZERO))
    return tuple(out)


def _weights(
    model: Model,
    journey: Journey,
    touches: tuple[Touchpoint, ...],
    keys: list[str],
    shares: dict[str, float],
    half_life: timedelta,
) -> tuple[Weight, ...]:
    """Weights in proportion (allocate splits by their ratios, exactly)."""
    if model is Model.LINEAR:
        return rules.linear_weights(touches)
    if model is Model.TIME_DECAY:
        end = journey.closed_at or max(t.occurred_at for t in touches)
        return rules.time_decay_weights(touches, converted_at=end, half_life=half_life)
    if model is Model.DATA_DRIVEN:
        exact = rules.exact_ratios([shares.get(k, 0.0) for k in keys])
        # Only when nothing converted anywhere (all effects 0): nothing to split but zero.
        return exact if any(exact) else rules.linear_weights(touches)
    return rules.position_weights(model, journey, touches)
