"""Input types of the leads subgraph: the lead mutations' inputs, each turned into its
plain domain dataclass, and LeadFilter and LeadSort, the arguments of the leads list (the
campaign and touchpoint inputs: subgraphs.leads.marketing_inputs)."""

from __future__ import annotations

from enum import Enum

import strawberry
from strawberry.scalars import JSON

from crmgraph.db.filtering import Condition, Filter, JsonCondition
from crmgraph.db.pagination import Sort
from crmgraph.domain import lead_conversion, lead_scoring, leads
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
