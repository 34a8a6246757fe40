"""GraphQL types of revenueAttribution: 000's revenue-attribution response (summary,
per-group attribution with funnel metrics and revenue journeys, insights), camel-cased."""

from __future__ import annotations

from datetime import date, datetime

import strawberry

from crmgraph.db.pagination import PageArgs
from crmgraph.domain import attribution as attr
from crmgraph.domain import bounds
from crmgraph.domain.revenue_report import AttributionRequest
from crmgraph.gql.connections import Connection
from crmgraph.gql.context import Info
from crmgraph.gql.memory_pages import memory_connection
from subgraphs.leads.types import Deal, Lead

CENTS_CEILING = 10**18  # above any Money value in cents: (ceiling - cents) sorts by credit desc


@strawberry.type(description="000's summary: revenue of the deals won in the range.")
class AttributionSummary:
    total_revenue: float
    attributed_revenue: float
    unattributed_revenue: float
    attribution_rate: float | None = strawberry.field(description="Attributed / total, percent.")
    conversions: int = strawberry.field(description="Deals won in the range.")
    journeys: int = strawberry.field(description="Journeys read: closed deals (and open leads).")
    leads_tracked: int
    groups_analyzed: int = strawberry.field(description="000's campaigns_analyzed.")
    avg_touches_per_conversion: float | None
    top_group: str | None

    @classmethod
    def of(cls, s: attr.Summary) -> AttributionSummary:
        return cls(
            total_revenue=float(s.total_revenue),
            attributed_revenue=float(s.attributed_revenue),
            unattributed_revenue=float(s.unattributed_revenue),
            attribution_rate=s.attribution_rate,
            conversions=s.deals,
            journeys=s.journeys,
            leads_tracked=s.leads_tracked,
            groups_analyzed=s.groups_analyzed,
            avg_touches_per_conversion=s.avg_touches_per_conversion,
            top_group=s.top_group,
        )


@strawberry.type(description="Over the journeys whose path holds the group (rates in percent).")
class FunnelMetrics:
    touches: int
    journeys: int
    leads_generated: int
    qualified_leads: int
    opportunities_created: int
    closed_won: int
    lead_to_opportunity_rate: float | None
    opportunity_to_won_rate: float | None
    conversion_rate: float | None = strawberry.field(description="closedWon / leadsGenerated.")
    avg_days_to_close: float | None = strawberry.field(description="First touch to close.")

    @classmethod
    def of(cls, f: attr.Funnel) -> FunnelMetrics:
        return cls(
            touches=f.touches,
            journeys=f.journeys,
            leads_generated=f.leads,
            qualified_leads=f.qualified_leads,
            opportunities_created=f.opportunities,
            closed_won=f.won,
            lead_to_opportunity_rate=f.lead_to_opportunity_rate,
            opportunity_to_won_rate=f.opportunity_to_won_rate,
            conversion_rate=f.conversion_rate,
            avg_days_to_close=f.avg_days_to_close,
        )


@strawberry.type(description="A won journey the group has credit in (000's revenue_journey).")
class RevenueJourney:
    journey_id: strawberry.ID
    revenue_generated: float = strawberry.field(description="The deal's value.")
    credit: float = strawberry.field(description="The group's share of it.")
    attribution_path: list[str] = strawberry.field(description="The keys of its touches.")
    lead_created: datetime | None
    qualification_date: datetime | None
    opportunity_created: datetime | None
    closed_at: datetime | None
    deal_id: strawberry.Private[str | None]
    lead_id: strawberry.Private[str | None]

    @classmethod
    def of(cls, j: attr.GroupJourney) -> RevenueJourney:
        return cls(
            journey_id=strawberry.ID(j.journey_id),
            revenue_generated=float(j.revenue),
            credit=float(j.credit),
            attribution_path=list(j.path),
            lead_created=j.lead_created_at,
            qualification_date=j.qualified_at,
            opportunity_created=j.opportunity_created_at,
            closed_at=j.closed_at,
            deal_id=j.deal_id,
            lead_id=j.lead_id,
        )

    @strawberry.field(description="The deal won.")
    def deal(self) -> Deal | None:
        return None if self.deal_id is None else Deal(id=strawberry.ID(self.deal_id))

    @strawberry.field(description="The lead it came from, if any.")
    async def lead(self, info: Info) -> Lead | None:
        if self.lead_id is None:
            return None
        return await Lead.resolve_reference(info, strawberry.ID(self.lead_id))


def _journey_key(j: attr.GroupJourney) -> str:
    return f"{CENTS_CEILING - int(j.credit * 100):019d}|{j.journey_id}"


@strawberry.type(description="What one campaign (source, medium, channel) earned.")
class GroupAttribution:
    key: str = strawberry.field(description="Campaign id, source, medium or channel.")
    label: str = strawberry.field(description="The campaign's name, else the key.")
    campaign_type: str | None
    budget: float | None
    direct_revenue: float = strawberry.field(description="Credit where it was the first touch.")
    influenced_revenue: float
    total_attributed: float
    attribution_percentage: float
    first_touch_percentage: float
    roi: float | None = strawberry.field(description="totalAttributed / budget.")
    funnel_metrics: FunnelMetrics
    journeys: strawberry.Private[tuple[attr.GroupJourney, ...]]

    @classmethod
    def of(cls, g: attr.GroupAttribution) -> GroupAttribution:
        budget = None if g.campaign is None or g.campaign.budget is None else g.campaign.budget
        return cls(
            key=g.key,
            label=g.label,
            campaign_type=None if g.campaign is None else g.campaign.type,
            budget=None if budget is None else float(budget),
            direct_revenue=float(g.direct_revenue),
            influenced_revenue=float(g.influenced_revenue),
            total_attributed=float(g.total_attributed),
            attribution_percentage=g.attribution_percentage,
            first_touch_percentage=g.first_touch_percentage,
            roi=g.roi,
            funnel_metrics=FunnelMetrics.of(g.funnel),
            journeys=g.journeys,
        )

    @strawberry.field(description="Its won journeys, largest credit first.")
    def revenue_journeys(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[RevenueJourney]:
        return memory_connection(
            self.journeys,
            _journey_key,
            RevenueJourney.of,
            PageArgs(first=first, after=after),
            info.context.runtime.settings.max_page_size,
            name=f"revenue-journeys:{self.key}",
        )


@strawberry.type(description="000's insights.")
class AttributionInsights:
    top_performing: list[GroupAttribution] = strawberry.field(
        description="Up to 3 groups, best ROI (else revenue) first."
    )
    optimization_recommendations: list[str]
    unattributed_revenue: float


@strawberry.type(description="Revenue attribution of the deals closed in a date range.")
class RevenueAttribution:
    start_date: date
    end_date: date
    model: str
    group_by: str
    include_indirect: bool
    min_revenue: float
    summary: AttributionSummary
    attribution: list[GroupAttribution] = strawberry.field(
        description=f"Per group, largest first; at most {bounds.ATTRIBUTION_GROUPS}."
    )
    insights: AttributionInsights

    @classmethod
    def of(cls, request: AttributionRequest, report: attr.Report) -> RevenueAttribution:
        return cls(
            start_date=request.start_date,
            end_date=request.end_date,
            model=report.model.value,
            group_by=report.group_by.value,
            include_indirect=request.include_indirect,
            min_revenue=float(request.min_revenue),
            summary=AttributionSummary.of(report.summary),
            attribution=[
                GroupAttribution.of(g) for g in report.groups[: bounds.ATTRIBUTION_GROUPS]
            ],
            insights=AttributionInsights(
                top_performing=[
                    GroupAttribution.of(g) for g in report.top_performing[: bounds.TOP_PERFORMING]
                ],
                optimization_recommendations=list(report.insights),
                unattributed_revenue=float(report.summary.unattributed_revenue),
            ),
        )
