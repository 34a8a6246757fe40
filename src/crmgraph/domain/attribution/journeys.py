"""The inputs of attribution: touchpoints, journeys, campaigns, and the positions in a path.

A reader (PostgreSQL or Neo4j) builds one `Journey` per deal (or per lead that never became a
deal), with the touchpoints recorded on its lead and contacts. Ids are strings (a UUID's `str`),
times timezone-aware datetimes, money `Decimal` in whole cents (the `Money` column's scale).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from crmgraph.errors import DomainError, ErrorCode

CENT = Decimal("0.01")


@dataclass(frozen=True, kw_only=True)
class Touchpoint:
    """One recorded marketing interaction (a visit with its utm parameters, an email click...)."""

    id: str
    occurred_at: datetime
    campaign_id: str | None = None
    utm_source: str | None = None
    utm_medium: str | None = None
    utm_campaign: str | None = None
    utm_content: str | None = None
    utm_term: str | None = None
    referrer: str | None = None
    landing_page: str | None = None
    # Set by a reader that knows it (a recorded "email", "paid_search"); else derived, see
    # crmgraph.domain.attribution.groups.channel_of.
    channel: str | None = None


@dataclass(frozen=True, kw_only=True)
class Journey:
    """The path of one deal (or of a lead without a deal) and how it ended.

    `revenue` is the deal's value; only a `converted` (closed-won) journey's revenue is
    attributed. A converted journey needs `closed_at`. Touchpoints after `closed_at` are not
    part of the path (they cannot have influenced the outcome); the rest are ordered by
    (occurred_at, id), so the order the reader gives them in does not matter.
    """

    id: str
    touchpoints: tuple[Touchpoint, ...]
    converted: bool = False
    revenue: Decimal = Decimal(0)
    deal_id: str | None = None
    lead_id: str | None = None
    lead_created_at: datetime | None = None
    qualified_at: datetime | None = None
    opportunity_created_at: datetime | None = None
    closed_at: datetime | None = None


@dataclass(frozen=True, kw_only=True)
class Campaign:
    """What a report says about a campaign beside its numbers (000's `campaign` object)."""

    id: str
    name: str
    type: str | None = None
    budget: Decimal | None = None


def validate(journey: Journey) -> None:
    """Raise VALIDATION_ERROR for a journey the models cannot attribute exactly."""
    field = f"journeys.{journey.id}"
    if not isinstance(journey.revenue, Decimal) or not journey.revenue.is_finite():
        raise _invalid(f"{field}.revenue", "revenue must be a finite Decimal")
    if journey.revenue < 0 or journey.revenue % CENT != 0:
        raise _invalid(f"{field}.revenue", "revenue must be zero or more, in whole cents")
    if journey.converted and journey.closed_at is None:
        raise _invalid(f"{field}.closedAt", "a converted journey needs its close time")
    times = [journey.lead_created_at, journey.qualified_at, journey.opportunity_created_at,
             journey.closed_at, *(t.occurred_at for t in journey.touchpoints)]  # fmt: skip
    if any(t is not None and t.utcoffset() is None for t in times):
        raise _invalid(field, "every time must carry a time zone")


def path(journey: Journey) -> tuple[Touchpoint, ...]:
    """The touchpoints that count, in time order (ties by id), cut at the close."""
    ordered = sorted(journey.touchpoints, key=lambda t: (t.occurred_at, t.id))
    if journey.closed_at is None:
        return tuple(ordered)
    return tuple(t for t in ordered if t.occurred_at <= journey.closed_at)


def last_at_or_before(touches: tuple[Touchpoint, ...], moment: datetime | None) -> int | None:
    """Index of the last touch at or before `moment`: HubSpot's lead/deal creation touch."""
    if moment is None:
        return None
    found = None
    for i, touch in enumerate(touches):
        if touch.occurred_at <= moment:
            found = i
    return found


def _invalid(field: str, message: str) -> DomainError:
    return DomainError(ErrorCode.VALIDATION_ERROR, message, field=field)
