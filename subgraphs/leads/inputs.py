"""Input types of the leads subgraph: the mutations' inputs, each turned into its plain
domain dataclass, and LeadFilter and LeadSort, the arguments of the leads list."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry
from strawberry.scalars import JSON

from crmgraph.db.filtering import Condition, Filter, JsonCondition
from crmgraph.db.pagination import Sort
from crmgraph.domain import lead_conversion, lead_scoring, leads, marketing
from crmgraph.gql.filters import (
    DateTimeFilter,
    IDFilter,
    IntFilter,
    JSONFilter,
    SortDirection,
    StringFilter,
    conditions,
    id_conditions,
    json_conditions,
    sort_of,
)
from crmgraph.gql.ids import parse_optional_id
from crmgraph.gql.inputs import given
from crmgraph.gql.shared_types import json_object
from subgraphs.leads.marketing import CampaignStatus
from subgraphs.leads.types import LeadStatus


@strawberry.input
class CreateLeadInput:
    first_name: str
    last_name: str
    email: str
    source: str
    phone: str | None = None
    company: str | None = None
    job_title: str | None = None
    status: LeadStatus = LeadStatus.NEW
    score: int | None = strawberry.field(
        default=None,
        description="0..100, kept as a manual adjustment; left out: the scoring model's.",
    )
    custom_fields: JSON | None = None

    def to_domain(self) -> leads.NewLead:
        return leads.NewLead(
            first_name=self.first_name,
            last_name=self.last_name,
            email=self.email,
            source=self.source,
            phone=self.phone,
            company=self.company,
            job_title=self.job_title,
            status=self.status.value,
            score=self.score,
            custom_fields=json_object(self.custom_fields, field="customFields"),
        )


@strawberry.input(description="Only the fields given change; null clears an optional field.")
class UpdateLeadInput:
    first_name: str | None = strawberry.UNSET
    last_name: str | None = strawberry.UNSET
    email: str | None = strawberry.UNSET
    source: str | None = strawberry.UNSET
    phone: str | None = strawberry.UNSET
    company: str | None = strawberry.UNSET
    job_title: str | None = strawberry.UNSET
    status: LeadStatus | None = strawberry.field(
        default=strawberry.UNSET, description="Any status but CONVERTED (use convertLead)."
    )
    score: int | None = strawberry.UNSET
    custom_fields: JSON | None = strawberry.UNSET

    def to_domain(self) -> leads.LeadChanges:
        return given(
            self,
            leads.LeadChanges,
            status=lambda v: v.value,
            custom_fields=lambda v: json_object(v, field="customFields"),
        )


@strawberry.input(
    description="The lead becomes QUALIFIED; of these fields only those given change, and "
    "null clears an optional one."
)
class QualifyLeadInput:
    qualification_notes: str | None = strawberry.UNSET
    score: int | None = strawberry.field(
        default=strawberry.UNSET, description="0..100; unchanged when left out."
    )
    next_action: str | None = strawberry.UNSET

    def to_domain(self) -> leads.Qualification:
        return given(self, leads.Qualification)


@strawberry.input
class ScoringFactorInput:
    factor: str
    points: int | None = None
    reason: str | None = None

    def to_domain(self) -> lead_scoring.ScoringFactor:
        return lead_scoring.ScoringFactor(
            factor=self.factor, points=self.points, reason=self.reason
        )


@strawberry.input
class ConvertLeadInput:
    create_contact: bool = strawberry.field(
        default=True, description="Create a contact from the lead (ignored with contactId)."
    )
    contact_id: strawberry.ID | None = strawberry.field(
        default=None, description="Link this existing contact instead."
    )
    create_account: bool = strawberry.field(
        default=True,
        description="Link the account named exactly like the lead's company, or create it.",
    )
    account_id: strawberry.ID | None = strawberry.field(
        default=None, description="Link this existing account instead."
    )
    create_deal: bool = False
    deal_title: str | None = strawberry.field(
        default=None, description="Defaults to the lead's company, else its full name."
    )
    deal_value: float | None = strawberry.field(default=None, description="Defaults to 0.")
    pipeline_id: strawberry.ID | None = strawberry.field(
        default=None, description="Defaults to the tenant's oldest pipeline."
    )
    stage_id: strawberry.ID | None = strawberry.field(
        default=None, description="A stage of the pipeline; defaults to its first stage."
    )

    def to_domain(self) -> lead_conversion.Conversion:
        return lead_conversion.Conversion(
            create_contact=self.create_contact,
            contact_id=parse_optional_id(self.contact_id, field="contactId"),
            create_account=self.create_account,
            account_id=parse_optional_id(self.account_id, field="accountId"),
            create_deal=self.create_deal,
            deal_title=self.deal_title,
            deal_value=self.deal_value,
            pipeline_id=parse_optional_id(self.pipeline_id, field="pipelineId"),
            stage_id=parse_optional_id(self.stage_id, field="stageId"),
        )


@strawberry.input(description="Match lead statuses.")
class LeadStatusFilter:
    eq: LeadStatus | None = None
    ne: LeadStatus | None = None
    in_: list[LeadStatus] | None = strawberry.field(name="in", default=None)
    nin: list[LeadStatus] | None = None


@strawberry.input(description="Filter leads; all given conditions must hold.")
class LeadFilter:
    id: IDFilter | None = None
    first_name: StringFilter | None = None
    last_name: StringFilter | None = None
    email: StringFilter | None = strawberry.field(
        default=None, description="Ignores case (emails are stored lower-case)."
    )
    company: StringFilter | None = None
    source: StringFilter | None = None
    status: LeadStatusFilter | None = None
    score: IntFilter | None = None
    created_at: DateTimeFilter | None = None
    custom_fields: JSONFilter | None = None

    def to_filter(self) -> Filter:
        found: list[Condition | JsonCondition] = [
            *id_conditions("id", self.id, field="filter.id"),
            *conditions("email", self.email, ignore_case=True),
            *json_conditions("custom_fields", self.custom_fields),
        ]
        for name in ("first_name", "last_name", "company", "source", "status", "score",
                     "created_at"):  # fmt: skip
            found += conditions(name, getattr(self, name))
        return Filter(tuple(found))


@strawberry.enum(description="Lead columns a list can be sorted by.")
class LeadSortField(Enum):
    CREATED_AT = "created_at"
    UPDATED_AT = "updated_at"
    FIRST_NAME = "first_name"
    LAST_NAME = "last_name"
    EMAIL = "email"
    COMPANY = "company"
    SCORE = "score"
    STATUS = "status"
    SOURCE = "source"


@strawberry.input(description="Sort order of a lead list; the id breaks ties.")
class LeadSort:
    field: LeadSortField
    direction: SortDirection = SortDirection.ASC


def lead_filter(spec: LeadFilter | None) -> Filter:
    return Filter() if spec is None else spec.to_filter()


def lead_sort(spec: LeadSort | None) -> Sort:
    if spec is None:
        return Sort()
    return sort_of(spec.field, spec.direction, {f.value: f.value for f in LeadSortField})


# Marketing: campaigns and touchpoints


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
