"""Subscription fields of the leads subgraph: score changes as they happen."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import datetime

import strawberry

from crmgraph.db import models
from crmgraph.gql.context import Info
from crmgraph.gql.ids import parse_id
from subgraphs.leads.types import LeadScore


@strawberry.type
class Subscription:
    @strawberry.subscription(
        description="Each rescoring of the lead: previous and new score, and why.",
    )
    async def lead_score_changed(
        self, info: Info, lead_id: strawberry.ID
    ) -> AsyncGenerator[LeadScore, None]:
        lead_id_ = parse_id(lead_id, field="leadId")
        async for event in info.context.events("lead.scored"):
            if event.aggregate_id != str(lead_id_):
                continue
            lead = await info.context.loaders.lead_by_id.load(lead_id_)
            if lead is None:
                continue
            payload = event.payload
            change = models.LeadScoreHistory(
                tenant_id=event.tenant_id,
                lead_id=lead_id_,
                previous_score=int(payload["previous_score"]),
                new_score=int(payload["new_score"]),
                factors={"factors": payload.get("factors") or []},
                created_at=datetime.fromisoformat(event.created_at),
            )
            yield LeadScore.of(lead, change)
