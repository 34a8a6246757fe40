"""Mutation fields of the deals subgraph."""

from __future__ import annotations

import strawberry

from crmgraph.domain import deals
from crmgraph.gql.context import Info
from crmgraph.gql.ids import parse_id
from crmgraph.gql.shared_types import DeletePayload
from subgraphs.deals.inputs import CreateDealInput, UpdateDealInput
from subgraphs.deals.types import Deal, DealStageChange


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
        deal_id, changes = parse_id(id), input.to_domain()
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
