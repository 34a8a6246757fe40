"""Subscription fields of the deals subgraph: live deal changes of the caller's tenant.

Each event carries the deal as it is just after the change (payloads.DealEvent), so a
subscriber is answered from the event, without a query per event."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry

from crmgraph.db import models
from crmgraph.events.envelope import Envelope
from crmgraph.events.payloads import DealCreated, DealEvent, DealStageChanged, DealUpdated
from crmgraph.events.states import row_of
from crmgraph.events.stream import once_per_event
from crmgraph.gql.context import Info
from crmgraph.gql.ids import parse_optional_id
from subgraphs.deals.types import Deal, DealStageChange

DEAL_CHANGES = (DealCreated, DealUpdated, DealStageChanged)


@once_per_event
def stage_change_of(event: Envelope[DealStageChanged]) -> DealStageChange:
    """The recorded move, rebuilt from its deal.stage_changed event."""
    payload = event.payload
    row = models.DealStageChange(
        tenant_id=event.tenant_id,
        deal_id=event.aggregate_id,
        from_stage_id=payload.from_stage_id,
        to_stage_id=payload.to_stage_id,
        changed_by_id=payload.actor_id,
        reason=payload.reason,
        created_at=event.created_at,
    )
    names = (payload.from_stage_name, payload.to_stage_name)
    return DealStageChange(row=row, deal_row=row_of(models.Deal, payload.deal), stage_names=names)


@once_per_event
def deal_of(event: Envelope[DealEvent]) -> Deal:
    """The deal as the event carries it."""
    return Deal.from_row(row_of(models.Deal, event.payload.deal))


@strawberry.type
class Subscription:
    @strawberry.subscription(
        description="Each move of a deal to another stage, as it happens: of one deal "
        "(dealId), of the deals of one pipeline (pipelineId), or of every deal.",
    )
    async def deal_stage_changed(
        self,
        info: Info,
        deal_id: strawberry.ID | None = None,
        pipeline_id: strawberry.ID | None = None,
    ) -> AsyncGenerator[DealStageChange, None]:
        deal = parse_optional_id(deal_id, field="dealId")
        pipeline = parse_optional_id(pipeline_id, field="pipelineId")
        async for event in info.context.events(DealStageChanged):
            if deal is not None and event.aggregate_id != deal:
                continue
            if pipeline is not None and event.payload.deal.pipeline_id != pipeline:
                continue
            yield stage_change_of(event)

    @strawberry.subscription(
        description="A deal as it is after each change (created, updated or moved), in one "
        "pipeline (pipelineId) or in all.",
    )
    async def deal_updated(
        self, info: Info, pipeline_id: strawberry.ID | None = None
    ) -> AsyncGenerator[Deal, None]:
        pipeline = parse_optional_id(pipeline_id, field="pipelineId")
        async for event in info.context.events(*DEAL_CHANGES):
            if pipeline is not None and event.payload.deal.pipeline_id != pipeline:
                continue
            yield deal_of(event)
