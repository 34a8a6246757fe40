"""Mutation fields of the leads subgraph."""

from __future__ import annotations

import strawberry
from strawberry.scalars import JSON

from crmgraph.domain import leads
from crmgraph.gql.context import Info
from crmgraph.gql.shared_types import json_object
from subgraphs.leads.types import Lead, LeadStatus


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


@strawberry.type
class LeadPayload:
    lead: Lead


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Create a lead.")
    async def create_lead(self, info: Info, input: CreateLeadInput) -> LeadPayload:
        data = input.to_domain()
        row = await info.context.write(
            lambda session, scope: leads.create_lead(session, scope=scope, data=data)
        )
        return LeadPayload(lead=Lead.from_row(row))
