"""Pydantic answers of GET /api/v1/analytics/revenue-attribution, named as 000's
revenue-attribution response writes them (money as JSON numbers)."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel

from crmgraph.domain import attribution as attr
from crmgraph.domain.revenue_report import AttributionRequest


class DateRange(BaseModel):
    start: date
    end: date


class Filters(BaseModel):
    min_revenue: float
    include_indirect: bool
    grouping: str


class Metadata(BaseModel):
    query_execution_time_ms: int
    total_records: int  # journeys read
    date_range: DateRange
    attribution_model: str
    filters_applied: Filters


class SummaryOut(BaseModel):
    total_revenue: float
    attributed_revenue: float
    unattributed_revenue: float
    attribution_rate: float | None
    campaigns_analyzed: int
    leads_tracked: int
    conversions: int
    avg_touches_per_conversion: float | None
    top_group: str | None


class CampaignOut(BaseModel):
    id: str  # the group's key: a campaign id, a source, a medium or a channel
    name: str
    type: str | None
    budget: float | None


class AttributionOut(BaseModel):
    direct_revenue: float
    influenced_revenue: float
    total_attributed: float
    attribution_percentage: float
    first_touch_percentage: float
    roi: float | None


class FunnelOut(BaseModel):
    touches: int
    leads_generated: int
    qualified_leads: int
    opportunities_created: int
    closed_won: int
    lead_to_opportunity_rate: float | None
    opportunity_to_won_rate: float | None
    conversion_rate: float | None
    avg_days_to_close: float | None


class JourneyOut(BaseModel):
    journey_id: str
    deal_id: str | None
    lead_id: str | None
    lead_created: datetime | None
    qualification_date: datetime | None
    opportunity_created: datetime | None
    closed_at: datetime | None
    revenue_generated: float
    credit: float
    attribution_path: list[str]


class ResultOut(BaseModel):
    campaign: CampaignOut
    attribution: AttributionOut
    funnel_metrics: FunnelOut
    revenue_journey: list[JourneyOut]  # largest credit first, journeys_per_group of them
    revenue_journey_total: int


class TopOut(BaseModel):
    campaign_name: str
    roi: float | None
    revenue: float


class GapsOut(BaseModel):
    unattributed_revenue: float


class InsightsOut(BaseModel):
    top_performing_campaigns: list[TopOut]
    optimization_recommendations: list[str]
    attribution_gaps: GapsOut


class RevenueAttributionOut(BaseModel):
    metadata: Metadata
    summary: SummaryOut
    attribution_results: list[ResultOut]
    insights: InsightsOut

    @classmethod
    def of(
        cls, request: AttributionRequest, report: attr.Report, *, elapsed_ms: int, per_group: int
    ) -> RevenueAttributionOut:
        s = report.summary
        return cls(
            metadata=Metadata(
                query_execution_time_ms=elapsed_ms,
                total_records=s.journeys,
                date_range=DateRange(start=request.start_date, end=request.end_date),
                attribution_model=report.model.value,
                filters_applied=Filters(
                    min_revenue=float(request.min_revenue),
                    include_indirect=request.include_indirect,
                    grouping=report.group_by.value,
                ),
            ),
            summary=SummaryOut(
                total_revenue=float(s.total_revenue),
                attributed_revenue=float(s.attributed_revenue),
                unattributed_revenue=float(s.unattributed_revenue),
                attribution_rate=s.attribution_rate,
                campaigns_analyzed=s.groups_analyzed,
                leads_tracked=s.leads_tracked,
                conversions=s.deals,
                avg_touches_per_conversion=s.avg_touches_per_conversion,
                top_group=s.top_group,
            ),
            attribution_results=[_result(g, per_group) for g in report.groups],
            insights=InsightsOut(
                top_performing_campaigns=[
                    TopOut(campaign_name=g.label, roi=g.roi, revenue=float(g.total_attributed))
                    for g in report.top_performing
                ],
                optimization_recommendations=list(report.insights),
                attribution_gaps=GapsOut(unattributed_revenue=float(s.unattributed_revenue)),
            ),
        )


def _result(g: attr.GroupAttribution, per_group: int) -> ResultOut:
    c, f = g.campaign, g.funnel
    return ResultOut(
        campaign=CampaignOut(id=g.key, name=g.label, type=None if c is None else c.type,
                             budget=None if c is None or c.budget is None else float(c.budget)),
        attribution=AttributionOut(
            direct_revenue=float(g.direct_revenue), influenced_revenue=float(g.influenced_revenue),
            total_attributed=float(g.total_attributed),
            attribution_percentage=g.attribution_percentage,
            first_touch_percentage=g.first_touch_percentage, roi=g.roi),
        funnel_metrics=FunnelOut(
            touches=f.touches, leads_generated=f.leads, qualified_leads=f.qualified_leads,
            opportunities_created=f.opportunities, closed_won=f.won,
            lead_to_opportunity_rate=f.lead_to_opportunity_rate,
            opportunity_to_won_rate=f.opportunity_to_won_rate, conversion_rate=f.conversion_rate,
            avg_days_to_close=f.avg_days_to_close),
        revenue_journey=[JourneyOut(
            journey_id=j.journey_id, deal_id=j.deal_id, lead_id=j.lead_id,
            lead_created=j.lead_created_at, qualification_date=j.qualified_at,
            opportunity_created=j.opportunity_created_at, closed_at=j.closed_at,
            revenue_generated=float(j.revenue), credit=float(j.credit),
            attribution_path=list(j.path)) for j in g.journeys[:per_group]],
        revenue_journey_total=len(g.journeys),
    )  # fmt: skip
