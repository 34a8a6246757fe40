"""Subscription fields of the deals subgraph: live deal changes of the caller's tenant."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import datetime
from uuid import UUID

import strawberry

from crmgraph.db import models
from crmgraph.events.bus import BusEvent
from crmgraph.events.outbox import from_snapshot
from crmgraph.events.stream import once_per_event
from crmgraph.gql.context import Info
from crmgraph.gql.ids import parse_optional_id
from subgraphs.deals.types import Deal, DealStageChange

DEAL_CHANGES = ("deal.created", "deal.updated", "deal.stage_changed")


def _uuid(value: object) -> UUID | None:
    return None if value in (None, "None") else UUID(str(value))


@once_per_event
def stage_change_of(event: BusEvent) -> DealStageChange:
    """The recorded move, rebuilt from its deal.stage_changed event."""
    payload = event.payload
    row = models.DealStageChange(
        tenant_id=event.tenant_id,
        deal_id=UUID(event.aggregate_id),
        from_stage_id=_uuid(payload.get("from_stage_id")),
        to_stage_id=_uuid(payload.get("to_stage_id")),
        changed_by_id=_uuid(payload.get("actor_id")),
        reason=payload.get("reason"),
        created_at=datetime.fromisoformat(event.created_at),
    )
    names = None
    if "to_stage_name" in payload:
        names = (payload.get("from_stage_name"), str(payload["to_stage_name"]))
    deal = from_snapshot(models.Deal, event.data) if event.data.get("id") else None
    return DealStageChange(row=row, deal_row=deal, stage_names=names)


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
        async for event in info.context.events("deal.stage_changed"):
            if deal is not None and event.aggregate_id != str(deal):
                continue
            if pipeline is not None and event.data.get("pipeline_id") != str(pipeline):
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
            if pipeline is not None and event.data.get("pipeline_id") != str(pipeline):
                continue
            row = await info.context.loaders.deal_by_id.load(UUID(event.aggregate_id))
            if row is not None:  # deleted since
                yield Deal.from_row(row)
