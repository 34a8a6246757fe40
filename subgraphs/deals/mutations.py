"""Mutation fields of the deals subgraph."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry
from strawberry.scalars import JSON

from crmgraph.domain import deals
from crmgraph.gql.context import Info
from crmgraph.gql.ids import parse_id, parse_optional_id
from crmgraph.gql.inputs import given
from crmgraph.gql.shared_types import DeletePayload, json_object
from subgraphs.deals.types import Deal, DealStageChange


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


@strawberry.input(
    description="Only the fields given change; null clears an optional field. "
    "The stage changes through moveDealStage."
)
class UpdateDealInput:
    title: str | None = strawberry.UNSET
    value: float | None = strawberry.UNSET
    currency: str | None = strawberry.UNSET
    probability: int | None = strawberry.UNSET
    contact_id: strawberry.ID | None = strawberry.UNSET
    account_id: strawberry.ID | None = strawberry.UNSET
    expected_close_date: datetime | None = strawberry.UNSET
    description: str | None = strawberry.UNSET
    custom_fields: JSON | None = strawberry.UNSET

    def changes(self) -> dict[str, Any]:
        return given(
            self,
            contact_id=lambda v: parse_id(v, field="contactId"),
            account_id=lambda v: parse_id(v, field="accountId"),
            custom_fields=lambda v: json_object(v, field="customFields"),
        )


@strawberry.type
class DealPayload:
    deal: Deal
    stage_change: DealStageChange | None = strawberry.field(
        default=None, description="The recorded move, for moveDealStage."
    )


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Create a deal in a pipeline stage.")
    async def create_deal(self, info: Info, input: CreateDealInput) -> DealPayload:
        data = input.to_domain()
        row = await info.context.write(
            lambda session, scope: deals.create_deal(session, scope=scope, data=data)
        )
        return DealPayload(deal=Deal.from_row(row))

    @strawberry.mutation(
        description="Change some fields of a deal.",
    )
    async def update_deal(
        self, info: Info, id: strawberry.ID, input: UpdateDealInput
    ) -> DealPayload:
        deal_id, changes = parse_id(id), input.changes()
        row = await info.context.write(
            lambda session, scope: deals.update_deal(
                session, scope=scope, deal_id=deal_id, changes=changes
            )
        )
        return DealPayload(deal=Deal.from_row(row))

    @strawberry.mutation(
        description="Move a deal to another stage of its pipeline, recording who, when, "
        "from, to and why. A 100% stage wins the deal, a 0% stage loses it.",
    )
    async def move_deal_stage(
        self, info: Info, deal_id: strawberry.ID, stage_id: strawberry.ID, reason: str | None = None
    ) -> DealPayload:
        deal, stage = parse_id(deal_id, field="dealId"), parse_id(stage_id, field="stageId")
        move = await info.context.write(
            lambda session, scope: deals.move_deal_stage(
                session, scope=scope, deal_id=deal, stage_id=stage, reason=reason
            )
        )
        # The answer reuses the rows the move read, instead of reading them again.
        info.context.loaders.stage_by_id.prime(move.stage.id, move.stage)
        names = (move.previous.name if move.previous else None, move.stage.name)
        change = DealStageChange(row=move.change, deal_row=move.deal, stage_names=names)
        return DealPayload(deal=Deal.from_row(move.deal), stage_change=change)

    @strawberry.mutation(
        description="Delete a deal and its stage history.",
    )
    async def delete_deal(self, info: Info, id: strawberry.ID) -> DeletePayload:
        deal_id = parse_id(id)
        await info.context.write(
            lambda session, scope: deals.delete_deal(session, scope=scope, deal_id=deal_id)
        )
        return DeletePayload(id=id)
