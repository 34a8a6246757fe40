"""Removal effects of the Markov model on a textbook example, computed by hand.

Journeys: C1 → C2 → C3 → conversion, C1 → null, C2 → C3 → null.
Transitions: start → C1 2/3, start → C2 1/3; C1 → C2 1/2, C1 → null 1/2; C2 → C3 1;
C3 → conversion 1/2, C3 → null 1/2.
P(conversion) = 2/3 · 1/2 · 1 · 1/2 + 1/3 · 1 · 1/2 = 1/3.
Without C1: 1/3 · 1 · 1/2 = 1/6, effect 1 - (1/6)/(1/3) = 1/2. Without C2 or C3: 0, effect 1.
Normalised: C1 0.5/2.5 = 20%, C2 40%, C3 40%.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmgraph.domain.attribution import (
    GroupBy,
    Journey,
    Model,
    Touchpoint,
    attribute,
    removal_effects,
)

TEXTBOOK = [(["C1", "C2", "C3"], True), (["C1"], False), (["C2", "C3"], False)]
T0 = datetime(2024, 1, 1, tzinfo=UTC)


def test_removal_effects_of_the_textbook_chain() -> None:
    got = removal_effects(TEXTBOOK)

    assert got.conversion_probability == pytest.approx(1 / 3)
    assert got.effects == pytest.approx({"C1": 0.5, "C2": 1.0, "C3": 1.0})
    assert got.shares == pytest.approx({"C1": 0.2, "C2": 0.4, "C3": 0.4})


def test_a_loop_back_to_an_earlier_channel_is_solved_not_walked() -> None:
    # C1 → C2 → C1 → conversion and C2 → null. C1 → C2 1/2, C1 → conversion 1/2;
    # start → C1 1/2, start → C2 1/2; C2 → C1 1/2, C2 → null 1/2.
    # x1 = 1/2 x2 + 1/2, x2 = 1/2 x1: x1 = 2/3, x2 = 1/3, P = 1/2 (2/3 + 1/3) = 1/2.
    # Without C1: 0 (effect 1). Without C2: x1 = 1/2, P = 1/4 (effect 1/2).
    got = removal_effects([(["C1", "C2", "C1"], True), (["C2"], False)])

    assert got.conversion_probability == pytest.approx(1 / 2)
    assert got.effects == pytest.approx({"C1": 1.0, "C2": 0.5})


def test_repeated_touches_of_one_channel_change_no_effect() -> None:
    repeated = [(["C1", "C1", "C2", "C3", "C3"], True), (["C1"], False), (["C2", "C3"], False)]
    assert removal_effects(repeated).shares == pytest.approx(removal_effects(TEXTBOOK).shares)


def test_nothing_converting_gives_no_effect() -> None:
    got = removal_effects([(["C1"], False), (["C2"], False)])
    assert got.conversion_probability == 0
    assert got.shares == {"C1": 0.0, "C2": 0.0}


def journey(name: str, channels: list[str], *, converted: bool) -> Journey:
    touches = tuple(Touchpoint(id=f"{name}-{i}", occurred_at=T0 + timedelta(days=i), channel=c)
                    for i, c in enumerate(channels))  # fmt: skip
    return Journey(id=name, touchpoints=touches, converted=converted,
                   revenue=Decimal("100.00") if converted else Decimal(0),
                   closed_at=T0 + timedelta(days=9) if converted else None)  # fmt: skip


def test_data_driven_splits_each_conversion_by_its_channels_shares() -> None:
    journeys = [journey(f"j{i}", chans, converted=won) for i, (chans, won) in enumerate(TEXTBOOK)]
    won, *_ = attribute(journeys, model=Model.DATA_DRIVEN, group_by=GroupBy.CHANNEL)

    assert [(c.key, str(c.amount)) for c in won.credits] == [
        ("c1", "20.00"), ("c2", "40.00"), ("c3", "40.00"),
    ]  # fmt: skip


walks = st.lists(
    st.tuples(st.lists(st.sampled_from(["a", "b", "c", "d"]), max_size=6), st.booleans()),
    max_size=12,
)


@settings(max_examples=80, deadline=None)
@given(walks=walks, rnd=st.randoms(use_true_random=False))
def test_effects_lie_between_0_and_1_sum_to_1_and_ignore_journey_order(
    walks: list[tuple[list[str], bool]], rnd: random.Random
) -> None:
    got = removal_effects(walks)
    shuffled = list(walks)
    rnd.shuffle(shuffled)

    assert all(-1e-9 <= e <= 1 + 1e-9 for e in got.effects.values())
    if got.conversion_probability > 0 and any(keys for keys, won in walks if won):
        assert sum(got.shares.values()) == pytest.approx(1)
    assert removal_effects(shuffled) == got
