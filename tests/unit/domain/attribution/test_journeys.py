"""What attribution refuses (VALIDATION_ERROR, naming the field) and how touches are keyed."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from crmgraph.domain.attribution import GroupBy, Journey, Model, Touchpoint, attribute, key_of
from crmgraph.errors import DomainError
from tests.unit.domain.attribution.worked import START, five_touch_deal


@pytest.mark.parametrize(
    ("journey", "field"),
    [
        (replace(five_touch_deal(), revenue=Decimal("-1.00")), "journeys.deal-1.revenue"),
        (replace(five_touch_deal(), revenue=Decimal("10.005")), "journeys.deal-1.revenue"),
        (replace(five_touch_deal(), revenue=Decimal("NaN")), "journeys.deal-1.revenue"),
        (replace(five_touch_deal(), closed_at=None), "journeys.deal-1.closedAt"),
        (replace(five_touch_deal(), lead_created_at=datetime(2024, 3, 8)), "journeys.deal-1"),
    ],
)
def test_a_journey_that_cannot_be_attributed_exactly_is_refused(
    journey: Journey, field: str
) -> None:
    with pytest.raises(DomainError) as raised:
        attribute([journey], model=Model.LINEAR)
    assert raised.value.as_dict()["code"] == "VALIDATION_ERROR"
    assert raised.value.field == field


def test_a_half_life_of_zero_is_refused() -> None:
    with pytest.raises(DomainError) as raised:
        attribute([five_touch_deal()], model=Model.TIME_DECAY, half_life=timedelta(0))
    assert raised.value.field == "halfLife"


@pytest.mark.parametrize(
    ("fields", "campaign", "source", "medium", "channel"),
    [
        ({}, "(no campaign)", "(direct)", "(none)", "direct"),
        ({"campaign_id": "c1", "utm_source": "Google", "utm_medium": "CPC"},
         "c1", "google", "cpc", "paid_search"),
        ({"utm_source": "linkedin", "utm_medium": "cpc"}, "(no campaign)", "linkedin", "cpc",
         "paid_social"),
        ({"utm_source": "newsletter", "utm_medium": "email"}, "(no campaign)", "newsletter",
         "email", "email"),
        ({"referrer": "https://www.google.com/search?q=crm"}, "(no campaign)", "google.com",
         "referral", "organic_search"),
        ({"referrer": "https://news.ycombinator.com/item"}, "(no campaign)",
         "news.ycombinator.com", "referral", "referral"),
        ({"referrer": "https://t.co/abc"}, "(no campaign)", "t.co", "referral", "organic_social"),
        ({"utm_medium": "banner"}, "(no campaign)", "(direct)", "banner", "display"),
        ({"utm_medium": "print"}, "(no campaign)", "(direct)", "print", "other"),
        ({"channel": "Events", "utm_medium": "cpc"}, "(no campaign)", "(direct)", "cpc", "events"),
    ],
)  # fmt: skip
def test_touches_are_keyed_by_campaign_source_medium_and_channel(
    fields: dict[str, str], campaign: str, source: str, medium: str, channel: str
) -> None:
    touch = Touchpoint(id="t", occurred_at=START, **fields)
    assert [key_of(touch, g) for g in GroupBy] == [campaign, source, medium, channel]
