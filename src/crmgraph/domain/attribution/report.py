"""Group attributed revenue (per campaign, source, medium or channel) with funnel metrics and a
summary: the shape of 000's revenue-attribution response, without its transport."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal

from crmgraph.domain.attribution.credit import ZERO, JourneyAttribution, attribute
from crmgraph.domain.attribution.groups import GroupBy
from crmgraph.domain.attribution.insights import insights_of
from crmgraph.domain.attribution.journeys import Campaign, Journey
from crmgraph.domain.attribution.rules import DEFAULT_HALF_LIFE, Model


@dataclass(frozen=True, kw_only=True)
class Funnel:
    """Over the journeys whose path holds the group's key (rates in percent, None for 0/0)."""

    touches: int
    journeys: int
    leads: int
    qualified_leads: int
    opportunities: int
    won: int
    lead_to_opportunity_rate: float | None
    opportunity_to_won_rate: float | None
    conversion_rate: float | None  # won / leads, 000's conversion_rate
    avg_days_to_close: float | None  # first touch to close, over the won journeys


@dataclass(frozen=True, kw_only=True)
class GroupJourney:
    """A converting journey the group has credit in (000's revenue_journey)."""

    journey_id: str
    deal_id: str | None
    lead_id: str | None
    revenue: Decimal
    credit: Decimal
    path: tuple[str, ...]  # the keys of its touches, in order
    lead_created_at: datetime | None
    qualified_at: datetime | None
    opportunity_created_at: datetime | None
    closed_at: datetime | None


@dataclass(frozen=True, kw_only=True)
class GroupAttribution:
    key: str
    label: str  # the campaign's name when grouped by campaign, else the key
    campaign: Campaign | None
    direct_revenue: Decimal  # credit in journeys whose first touch has this key
    influenced_revenue: Decimal  # credit in the other journeys (0 without includeIndirect)
    total_attributed: Decimal
    attribution_percentage: float  # of all attributed revenue
    first_touch_percentage: float  # of converting journeys with a touch, opened by this key
    roi: float | None  # total_attributed / budget (000: 575,000 on 25,000 is 23.0)
    funnel: Funnel
    journeys: tuple[GroupJourney, ...]  # largest credit first


@dataclass(frozen=True, kw_only=True)
class Summary:
    total_revenue: Decimal  # of the converted journeys
    attributed_revenue: Decimal
    unattributed_revenue: Decimal
    attribution_rate: float | None
    deals: int  # converted journeys
    journeys: int
    leads_tracked: int
    groups_analyzed: int
    avg_touches_per_conversion: float | None
    top_group: str | None


@dataclass(frozen=True, kw_only=True)
class Report:
    model: Model
    group_by: GroupBy
    summary: Summary
    groups: tuple[GroupAttribution, ...]  # largest total first, then by key
    top_performing: tuple[GroupAttribution, ...]  # up to 3, best ROI (or revenue) first
    insights: tuple[str, ...]


def revenue_attribution(
    journeys: Sequence[Journey],
    *,
    model: Model,
    group_by: GroupBy = GroupBy.CAMPAIGN,
    half_life: timedelta = DEFAULT_HALF_LIFE,
    campaigns: Mapping[str, Campaign] | None = None,
    include_indirect: bool = True,
    min_revenue: Decimal = ZERO,
) -> Report:
    """Attribute, then group. Without `include_indirect` a group counts only its direct
    revenue and the rest is unattributed; groups under `min_revenue` are left out of `groups`
    (never out of the summary). The revenue of converted journeys without a touch is the
    unattributed bucket (`Summary.unattributed_revenue`), with any indirect revenue left out."""
    results = attribute(journeys, model=model, group_by=group_by, half_life=half_life)
    campaigns = campaigns or {}
    converting = sum(1 for r in results if r.journey.converted and r.credits)
    # Each journey under each key its path holds, with that key's credit and touches: one
    # pass over the credits, not one per key.
    by_key: dict[str, list[Held]] = defaultdict(list)
    for r in results:
        credit: dict[str, Decimal] = {}
        touches: dict[str, int] = {}
        for c in r.credits:
            credit[c.key] = credit.get(c.key, ZERO) + c.amount
            touches[c.key] = touches.get(c.key, 0) + 1
        for key, amount in credit.items():
            by_key[key].append(Held(r, amount, touches[key]))
    groups = [_group(key, by_key[key], converting, campaigns, group_by, include_indirect)
              for key in sorted(by_key)]  # fmt: skip
    total = sum((r.revenue for r in results), ZERO)
    attributed = sum((g.total_attributed for g in groups), ZERO)
    groups = [_with_share(g, attributed) for g in groups]
    groups.sort(key=lambda g: (-g.total_attributed, g.key))
    won = [r for r in results if r.journey.converted]
    summary = Summary(
        total_revenue=total,
        attributed_revenue=attributed,
        unattributed_revenue=total - attributed,
        attribution_rate=_pct(attributed, total),
        deals=len(won),
        journeys=len(results),
        leads_tracked=sum(1 for r in results if r.journey.lead_created_at is not None),
        groups_analyzed=len(groups),
        avg_touches_per_conversion=_mean([len(r.credits) for r in won]),
        top_group=groups[0].key if groups and groups[0].total_attributed > 0 else None,
    )
    top = sorted(groups, key=lambda g: (g.roi is None, -(g.roi or 0), -g.total_attributed, g.key))
    return Report(
        model=model,
        group_by=group_by,
        summary=summary,
        groups=tuple(g for g in groups if g.total_attributed >= min_revenue),
        top_performing=tuple(g for g in top[:3] if g.total_attributed > 0),
        insights=insights_of(groups, summary),
    )


@dataclass(frozen=True, slots=True)
class Held:
    """A journey whose path holds a key: its credit and number of touches under that key."""

    result: JourneyAttribution
    credit: Decimal
    touches: int


def _group(
    key: str,
    held: Sequence[Held],
    converting: int,
    campaigns: Mapping[str, Campaign],
    group_by: GroupBy,
    include_indirect: bool,
) -> GroupAttribution:
    direct = influenced = ZERO
    credited: list[GroupJourney] = []
    opened = 0
    for h in held:
        r, credit = h.result, h.credit
        if not r.journey.converted:
            continue
        if r.credits[0].key == key:
            direct += credit
            opened += 1
        else:
            influenced += credit if include_indirect else ZERO
        credited.append(_journey(r, credit))
    credited.sort(key=lambda j: (-j.credit, j.journey_id))
    campaign = campaigns.get(key) if group_by is GroupBy.CAMPAIGN else None
    total = direct + influenced
    budget = campaign.budget if campaign else None
    return GroupAttribution(
        key=key,
        label=campaign.name if campaign else key,
        campaign=campaign,
        direct_revenue=direct,
        influenced_revenue=influenced,
        total_attributed=total,
        attribution_percentage=0.0,
        first_touch_percentage=_pct(opened, converting) or 0.0,
        roi=float(total / budget) if budget else None,
        funnel=_funnel(held),
        journeys=tuple(credited),
    )


def _funnel(held: Sequence[Held]) -> Funnel:
    mine = [h.result for h in held]
    leads = [r for r in mine if r.journey.lead_created_at is not None]
    opportunities = [r for r in mine if r.journey.opportunity_created_at is not None]
    won = [r for r in mine if r.journey.converted]
    days = [(r.journey.closed_at - r.credits[0].touchpoint.occurred_at) / timedelta(days=1)
            for r in won if r.journey.closed_at is not None]  # fmt: skip
    return Funnel(
        touches=sum(h.touches for h in held),
        journeys=len(mine),
        leads=len(leads),
        qualified_leads=sum(1 for r in mine if r.journey.qualified_at is not None),
        opportunities=len(opportunities),
        won=len(won),
        lead_to_opportunity_rate=_pct(len(opportunities), len(leads)),
        opportunity_to_won_rate=_pct(len(won), len(opportunities)),
        conversion_rate=_pct(len(won), len(leads)),
        avg_days_to_close=round(m, 2) if (m := _mean(days)) is not None else None,
    )


def _journey(r: JourneyAttribution, credit: Decimal) -> GroupJourney:
    j = r.journey
    return GroupJourney(journey_id=j.id, deal_id=j.deal_id, lead_id=j.lead_id,
                        revenue=j.revenue, credit=credit, path=tuple(c.key for c in r.credits),
                        lead_created_at=j.lead_created_at, qualified_at=j.qualified_at,
                        opportunity_created_at=j.opportunity_created_at,
                        closed_at=j.closed_at)  # fmt: skip


def _with_share(g: GroupAttribution, attributed: Decimal) -> GroupAttribution:
    return replace(g, attribution_percentage=_pct(g.total_attributed, attributed) or 0.0)


def _pct(part: Decimal | int, whole: Decimal | int) -> float | None:
    return round(float(Decimal(part) * 100 / Decimal(whole)), 2) if whole else None


def _mean(values: Sequence[float | int]) -> float | None:
    return sum(values) / len(values) if values else None
