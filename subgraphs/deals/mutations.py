"""Mutation fields of the deals subgraph."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.scalars import JSON

from crmgraph.domain import deals
from crmgraph.gql.context import Info
from crmgraph.gql.ids import parse_optional_id
from crmgraph.gql.shared_types import json_object
from subgraphs.deals.types import Deal


@strawberry.input
class CreateDealInput:
    title: str
    value: float
    currency: str = "USD"
    pipeline_id: strawberry.ID | None = strawberry.field(
        default=None, description="Defaults to the tenant's oldest pipeline."
    )
    stage_id: strawberry.ID | None = strawberry.field(
        default=None, description="A stage of the pipeline; defaults to its first stage."
    )
    stage: str | None = strawberry.field(
        default=None, description="Alternatively, the stage's name (case-insensitive)."
    )
    probability: int | None = strawberry.field(
        default=None, description="0..100; defaults to the stage's probability."
    )
    contact_id: strawberry.ID | None = None
    account_id: strawberry.ID | None = strawberry.field(
        default=None, description="Defaults to the contact's account."
    )
    expected_close_date: datetime | None = None
    description: str | None = None
    custom_fields: JSON | None = None

    def to_domain(self) -> deals.NewDeal:
        return deals.NewDeal(
            title=self.title,
            value=self.value,
            currency=self.currency,
            pipeline_id=parse_optional_id(self.pipeline_id, field="pipelineId"),
            stage_id=parse_optional_id(self.stage_id, field="stageId"),
            stage=self.stage,
            probability=self.probability,
            contact_id=parse_optional_id(self.contact_id, field="contactId"),
            account_id=parse_optional_id(self.account_id, field="accountId"),
            expected_close_date=self.expected_close_date,
            description=self.description,
            custom_fields=json_object(self.custom_fields, field="customFields"),
        )


@strawberry.type
class DealPayload:
    deal: Deal


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Create a deal in a pipeline stage.")
    async def create_deal(self, info: Info, input: CreateDealInput) -> DealPayload:
        data = input.to_domain()
        row = await info.context.write(
            lambda session, scope: deals.create_deal(session, scope=scope, data=data)
        )
        return DealPayload(deal=Deal.from_row(row))
