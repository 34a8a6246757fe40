"""Subscription fields of the leads subgraph: score changes as they happen."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from dataclasses import asdict

import strawberry

from crmgraph.db import models
from crmgraph.events.envelope import Envelope
from crmgraph.events.lead_payloads import LeadScored
from crmgraph.events.states import row_of
from crmgraph.events.stream import once_per_event
from crmgraph.gql.context import Info
from crmgraph.gql.ids import parse_id
from subgraphs.leads.types import LeadScore


@once_per_event
def score_of(event: Envelope[LeadScored]) -> LeadScore:
    """The rescoring and the lead as the event carries them: no query per event."""
    payload = event.payload
    change = models.LeadScoreHistory(
        tenant_id=event.tenant_id,
        lead_id=event.aggregate_id,
        previous_score=payload.previous_score,
        new_score=payload.new_score,
        factors={"factors": [asdict(f) for f in payload.factors]},
        created_at=event.created_at,
    )
    return LeadScore.of(row_of(models.Lead, payload.lead), change)


@strawberry.type
class Subscription:
    @strawberry.subscription(
        description="Each rescoring of the lead: previous and new score, and why.",
    )
    async def lead_score_changed(
        self, info: Info, lead_id: strawberry.ID
    ) -> AsyncGenerator[LeadScore, None]:
        lead_id_ = parse_id(lead_id, field="leadId")
        async for event in info.context.events(LeadScored):
            if event.aggregate_id == lead_id_:
                yield score_of(event)
