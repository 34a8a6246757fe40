"""Properties every model keeps, on journeys hypothesis makes up: each converted journey's
credits sum exactly to its revenue, in cents, never negative; the same input gives the same
credits; the order of journeys and of touches given does not change any credit."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from crmgraph.domain.attribution import (
    GroupBy,
    Journey,
    JourneyAttribution,
    Model,
    Touchpoint,
    attribute,
)
from crmgraph.domain.attribution.allocation import allocate
from crmgraph.domain.attribution.rules import exact_ratios

T0 = datetime(2024, 1, 1, tzinfo=UTC)
times = st.integers(min_value=0, max_value=400 * 24).map(lambda h: T0 + timedelta(hours=h))


@st.composite
def journeys(draw: st.DrawFn, name: str) -> Journey:
    count = draw(st.integers(min_value=0, max_value=7))
    touches = tuple(
        Touchpoint(
            id=f"{name}-t{i}",
            occurred_at=draw(times),
            campaign_id=draw(st.sampled_from(["a", "b", "c", None])),
            utm_medium=draw(st.sampled_from(["cpc", "email", None])),
        )
        for i in range(count)
    )
    converted = draw(st.booleans())
    return Journey(
        id=name,
        touchpoints=touches,
        converted=converted,
        revenue=Decimal(draw(st.integers(min_value=0, max_value=10**11))) / 100,
        lead_created_at=draw(st.none() | times),
        opportunity_created_at=draw(st.none() | times),
        closed_at=draw(times) if converted else draw(st.none() | times),
    )


many = st.integers(min_value=1, max_value=6).flatmap(
    lambda n: st.tuples(*(journeys(f"j{i}") for i in range(n)))
)


def by_touch(results: tuple[JourneyAttribution, ...]) -> dict[tuple[str, str], Decimal]:
    out = {(r.journey.id, c.touchpoint.id): c.amount for r in results for c in r.credits}
    out.update({(r.journey.id, ""): r.unattributed for r in results})
    return out


def reordered(js: tuple[Journey, ...], rnd: st.DataObject) -> list[Journey]:
    shuffled = [replace(j, touchpoints=tuple(rnd.draw(st.permutations(j.touchpoints))))
                for j in js]  # fmt: skip
    return list(rnd.draw(st.permutations(shuffled)))


@settings(max_examples=60, deadline=None)
@given(js=many, model=st.sampled_from(Model), group_by=st.sampled_from(GroupBy), rnd=st.data())
def test_credits_sum_to_revenue_in_cents_and_ignore_input_order(
    js: tuple[Journey, ...], model: Model, group_by: GroupBy, rnd: st.DataObject
) -> None:
    results = attribute(js, model=model, group_by=group_by)

    for r in results:
        amounts = [c.amount for c in r.credits] + [r.unattributed]
        expected = r.journey.revenue if r.journey.converted else Decimal(0)
        assert sum(amounts) == expected
        assert all(a >= 0 and a.as_tuple().exponent == -2 for a in amounts)
        assert (r.unattributed == expected) if not r.credits else r.unattributed == 0
    assert attribute(js, model=model, group_by=group_by) == results
    again = attribute(reordered(js, rnd), model=model, group_by=group_by)
    assert by_touch(again) == by_touch(results)


@given(
    st.integers(min_value=0, max_value=10**11),
    st.lists(st.floats(min_value=0, max_value=1e6, allow_nan=False), min_size=1, max_size=9),
)
@settings(max_examples=300)
def test_integer_ratios_split_as_the_exact_fractions(cents: int, values: list[float]) -> None:
    """The time-decay and data-driven weights go to allocate as integers in the floats' exact
    ratios: every split is the one their Fractions give."""
    if not any(values):
        return
    amount = Decimal(cents) / 100
    assert allocate(amount, exact_ratios(values)) == allocate(amount, [Fraction(v) for v in values])
