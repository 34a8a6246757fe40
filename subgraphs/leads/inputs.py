"""Input types of the lead mutations, each turned into its plain domain dataclass."""

from __future__ import annotations

from enum import Enum
from typing import Any

import strawberry
from strawberry.scalars import JSON

from crmgraph.domain import leads
from crmgraph.gql.ids import parse_optional_id
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
    score: int = 0
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


def _given(value: Any) -> Any:
    return leads.UNSET if value is strawberry.UNSET else value


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
        custom = self.custom_fields
        return leads.LeadChanges(
            first_name=_given(self.first_name),
            last_name=_given(self.last_name),
            email=_given(self.email),
            source=_given(self.source),
            phone=_given(self.phone),
            company=_given(self.company),
            job_title=_given(self.job_title),
            status=_given(self.status.value if isinstance(self.status, Enum) else self.status),
            score=_given(self.score),
            custom_fields=(
                leads.UNSET
                if custom is strawberry.UNSET
                else json_object(custom, field="customFields")
            ),
        )


@strawberry.input
class QualifyLeadInput:
    qualification_notes: str | None = None
    score: int | None = strawberry.field(default=None, description="0..100; unchanged if null.")
    next_action: str | None = None

    def to_domain(self) -> leads.Qualification:
        return leads.Qualification(
            qualification_notes=self.qualification_notes,
            score=self.score,
            next_action=self.next_action,
        )


@strawberry.input
class ScoringFactorInput:
    factor: str
    points: int | None = None
    reason: str | None = None

    def to_domain(self) -> leads.ScoringFactor:
        return leads.ScoringFactor(factor=self.factor, points=self.points, reason=self.reason)


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

    def to_domain(self) -> leads.Conversion:
        return leads.Conversion(
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
