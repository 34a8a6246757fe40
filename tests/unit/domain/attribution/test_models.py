"""Each model on the README's worked example, computed by hand there."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest

from crmgraph.domain.attribution import Journey, Model, attribute
from tests.unit.domain.attribution.worked import START, WEEK, five_touch_deal, touch


def credits(journey: Journey, model: Model, **options: timedelta) -> list[str]:
    (result,) = attribute([journey], model=model, **options)
    return [str(c.amount) for c in result.credits]


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        (Model.FIRST_TOUCH, ["10000.00", "0.00", "0.00", "0.00", "0.00"]),
        (Model.LAST_TOUCH, ["0.00", "0.00", "0.00", "0.00", "10000.00"]),
        (Model.LINEAR, ["2000.00"] * 5),
        # 2^-(days before T5 / 7): 1/16, 1/8, 1/4, 1/2, 1 of 31/16; the spare cent to T4 (.516).
        (Model.TIME_DECAY, ["322.58", "645.16", "1290.32", "2580.65", "5161.29"]),
        # 40 / 20 over T2..T4 / 40; 2,000.00 / 3 leaves 2 cents, to the earliest ties.
        (Model.POSITION_BASED, ["4000.00", "666.67", "666.67", "666.66", "4000.00"]),
        # 30 first (T1), 30 lead (T2), 30 opportunity (T4); 10 over T3 and T5.
        (Model.W_SHAPED, ["3000.00", "3000.00", "500.00", "3000.00", "500.00"]),
        # 22.5 each on T1, T2, T4 and the closing T5; 10 on T3.
        (Model.FULL_PATH, ["2250.00", "2250.00", "1000.00", "2250.00", "2250.00"]),
        (Model.J_SHAPED, ["2000.00", "666.67", "666.67", "666.66", "6000.00"]),
        (Model.INVERSE_J, ["6000.00", "666.67", "666.67", "666.66", "2000.00"]),
    ],
)
def test_each_model_splits_the_worked_example_as_computed_by_hand(
    model: Model, expected: list[str]
) -> None:
    assert credits(five_touch_deal(), model) == expected


def test_time_decay_half_life_is_configurable() -> None:
    # A 14-day half-life: weights 2^-2, 2^-1.5, 2^-1, 2^-0.5, 1 (sum 2.8106601...); quotas in
    # cents 88947.07, 125790.16, 177894.15, 251580.32, 355788.30: the spare cent to T4.
    got = credits(five_touch_deal(), Model.TIME_DECAY, half_life=timedelta(days=14))
    assert got == ["889.47", "1257.90", "1778.94", "2515.81", "3557.88"]


def test_time_decay_of_touches_a_year_before_the_close_still_sums() -> None:
    old = replace(five_touch_deal(), closed_at=START + 400 * WEEK)
    assert credits(old, Model.TIME_DECAY) == credits(five_touch_deal(), Model.TIME_DECAY)


@pytest.mark.parametrize(
    ("model", "one", "two"),
    [
        (Model.POSITION_BASED, ["10000.00"], ["5000.00", "5000.00"]),
        (Model.J_SHAPED, ["10000.00"], ["2500.00", "7500.00"]),
        (Model.INVERSE_J, ["10000.00"], ["7500.00", "2500.00"]),
        (Model.LINEAR, ["10000.00"], ["5000.00", "5000.00"]),
    ],
)
def test_one_or_two_touches_share_by_the_roles_they_hold(
    model: Model, one: list[str], two: list[str]
) -> None:
    deal = five_touch_deal()
    assert credits(replace(deal, touchpoints=deal.touchpoints[:1]), model) == one
    assert credits(replace(deal, touchpoints=deal.touchpoints[:2]), model) == two


def test_w_shaped_gives_a_touch_holding_two_roles_both_shares() -> None:
    # The lead is created at T1: T1 holds first and lead (60), T4 opportunity (30),
    # T2, T3, T5 share 10.
    deal = replace(five_touch_deal(), lead_created_at=START + timedelta(hours=1))
    assert credits(deal, Model.W_SHAPED) == ["6000.00", "333.34", "333.33", "3000.00", "333.33"]


def test_w_shaped_without_a_lead_time_scales_the_other_shares_up() -> None:
    # First 30 and opportunity 30 and middle 10 of 70: 3/7, 3/7, 1/7 over T2, T3, T5.
    deal = replace(five_touch_deal(), lead_created_at=None)
    assert credits(deal, Model.W_SHAPED) == [
        "4285.72", "476.19", "476.19", "4285.71", "476.19",
    ]  # fmt: skip


def test_touches_after_the_close_get_nothing_and_the_closing_touch_is_the_last_before() -> None:
    deal = five_touch_deal()
    late = replace(deal, touchpoints=(*deal.touchpoints, touch(6, "late", at=START + 9 * WEEK)))
    (result,) = attribute([late], model=Model.LAST_TOUCH)
    assert [c.touchpoint.id for c in result.credits] == ["t1", "t2", "t3", "t4", "t5"]
    assert result.credits[-1].amount == Decimal("10000.00")


def test_a_journey_without_touches_is_unattributed() -> None:
    (result,) = attribute([replace(five_touch_deal(), touchpoints=())], model=Model.LINEAR)
    assert result.credits == ()
    assert result.unattributed == Decimal("10000.00")


def test_a_journey_that_did_not_convert_attributes_nothing() -> None:
    lost = replace(five_touch_deal(), converted=False)
    assert credits(lost, Model.LINEAR) == ["0.00"] * 5
