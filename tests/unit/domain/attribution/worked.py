"""The README's worked example: one $10,000.00 deal, five touches a week apart."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from crmgraph.domain.attribution import Journey, Touchpoint

START = datetime(2024, 3, 1, tzinfo=UTC)
WEEK = timedelta(days=7)
CAMPAIGNS = ("search", "social", "email", "webinar", "retarget")


def touch(i: int, campaign: str | None, *, at: datetime | None = None) -> Touchpoint:
    return Touchpoint(id=f"t{i}", occurred_at=at or START + (i - 1) * WEEK, campaign_id=campaign)


def five_touch_deal() -> Journey:
    """T1..T5 on March 1, 8, 15, 22, 29; the lead is created at T2, the opportunity at T4,
    the deal won right after T5."""
    return Journey(
        id="deal-1",
        deal_id="deal-1",
        touchpoints=tuple(touch(i, c) for i, c in enumerate(CAMPAIGNS, start=1)),
        converted=True,
        revenue=Decimal("10000.00"),
        lead_created_at=START + WEEK + timedelta(hours=1),
        opportunity_created_at=START + 3 * WEEK + timedelta(hours=1),
        closed_at=START + 4 * WEEK + timedelta(hours=1),
    )
