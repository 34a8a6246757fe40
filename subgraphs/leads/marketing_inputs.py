"""Input types of the leads subgraph's marketing: CreateCampaignInput, UpdateCampaignInput
and RecordTouchpointInput, each turned into its plain domain dataclass, and CampaignFilter
and CampaignSort, the arguments of the campaigns list (the leads' own inputs:
subgraphs.leads.inputs)."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry

from crmgraph.db.filtering import Condition, Filter, JsonCondition
from crmgraph.db.pagination import Sort
from crmgraph.domain import marketing
from crmgraph.gql.filters import (
    DateTimeFilter,
    IDFilter,
    SortDirection,
    StringFilter,
    conditions,
    id_conditions,
    sort_of,
)
from crmgraph.gql.ids import parse_optional_id
from crmgraph.gql.inputs import given
from subgraphs.leads.marketing import CampaignStatus


@strawberry.input
class CreateCampaignInput:
    name: str
    type: str | None = strawberry.field(default=None, description="e.g. google_ads, webinar.")
    budget: float | None = None
    start_date: datetime | None = None
    end_date: datetime | None = None
    status: CampaignStatus = CampaignStatus.PLANNED
    zoho_id: str | None = None

    def to_domain(self) -> marketing.NewCampaign:
        return marketing.NewCampaign(
            name=self.name,
            type=self.type,
            budget=self.budget,
            start_date=self.start_date,
            end_date=self.end_date,
            status=self.status.value,
            zoho_id=self.zoho_id,
        )


@strawberry.input(description="Only the fields given change; null clears an optional field.")
class UpdateCampaignInput:
    name: str | None = strawberry.UNSET
    type: str | None = strawberry.UNSET
    budget: float | None = strawberry.UNSET
    start_date: datetime | None = strawberry.UNSET
    end_date: datetime | None = strawberry.UNSET
    status: CampaignStatus | None = strawberry.UNSET
    zoho_id: str | None = strawberry.UNSET

    def to_domain(self) -> marketing.CampaignChanges:
        return given(self, marketing.CampaignChanges, status=lambda v: v.value)


@strawberry.input(description="A touch of a lead, a contact or both (one at least).")
class RecordTouchpointInput:
    lead_id: strawberry.ID | None = None
    contact_id: strawberry.ID | None = None
    campaign_id: strawberry.ID | None = None
    utm_source: str | None = None
    utm_medium: str | None = None
    utm_campaign: str | None = None
    utm_content: str | None = None
    utm_term: str | None = None
    referrer: str | None = None
    landing_page: str | None = None
    channel: str | None = strawberry.field(
        default=None, description="e.g. paid_search, email; derived from utm/referrer when null."
    )
    occurred_at: datetime | None = strawberry.field(default=None, description="Now if left out.")

    def to_domain(self) -> marketing.NewTouchpoint:
        texts = {f: getattr(self, f) for f in TOUCH_TEXTS}
        return marketing.NewTouchpoint(
            lead_id=parse_optional_id(self.lead_id, field="leadId"),
            contact_id=parse_optional_id(self.contact_id, field="contactId"),
            campaign_id=parse_optional_id(self.campaign_id, field="campaignId"),
            occurred_at=self.occurred_at,
            **texts,
        )


TOUCH_TEXTS = ("utm_source", "utm_medium", "utm_campaign", "utm_content", "utm_term",
               "referrer", "landing_page", "channel")  # fmt: skip


@strawberry.input(description="Match campaign statuses.")
class CampaignStatusFilter:
    eq: CampaignStatus | None = None
    ne: CampaignStatus | None = None
    in_: list[CampaignStatus] | None = strawberry.field(name="in", default=None)
    nin: list[CampaignStatus] | None = None


@strawberry.input(description="Filter campaigns; all given conditions must hold.")
class CampaignFilter:
    id: IDFilter | None = None
    name: StringFilter | None = None
    type: StringFilter | None = None
    status: CampaignStatusFilter | None = None
    start_date: DateTimeFilter | None = None
    end_date: DateTimeFilter | None = None
    created_at: DateTimeFilter | None = None

    def to_filter(self) -> Filter:
        found: list[Condition | JsonCondition] = [*id_conditions("id", self.id, field="filter.id")]
        for name in ("name", "type", "status", "start_date", "end_date", "created_at"):
            found += conditions(name, getattr(self, name))
        return Filter(tuple(found))


@strawberry.enum(description="Campaign columns a list can be sorted by.")
class CampaignSortField(Enum):
    CREATED_AT = "created_at"
    NAME = "name"
    START_DATE = "start_date"
    END_DATE = "end_date"
    BUDGET = "budget"
    STATUS = "status"


@strawberry.input(description="Sort order of a campaign list; the id breaks ties.")
class CampaignSort:
    field: CampaignSortField
    direction: SortDirection = SortDirection.ASC


def campaign_filter(spec: CampaignFilter | None) -> Filter:
    return Filter() if spec is None else spec.to_filter()


def campaign_sort(spec: CampaignSort | None) -> Sort:
    if spec is None:
        return Sort()
    return sort_of(spec.field, spec.direction, {f.value: f.value for f in CampaignSortField})
