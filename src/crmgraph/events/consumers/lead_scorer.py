"""The lead-scorer consumer: recomputes a lead's score when the lead or what it did changes.

It wants the events that change a lead's facts (crmgraph.domain.scoring.facts): the lead's
own (created, updated), its touchpoints and the activities about it (related to a LEAD).
For each it locks the lead and runs crmgraph.domain.lead_scoring.rescore_lead, the one path
that writes a score: the explanation is kept, and only a changed score leaves a history row
and a lead.scored event (so leadScoreChanged), through the outbox in the batch's own
transaction (base.batch_session). A repeated event (a retry, a replayed batch) finds the
score already computed and changes nothing, so each change is recorded exactly once.

Unordered: handling reads the lead's current facts under its row lock, so the order in
which events of one lead arrive does not matter. An activity moved from one lead to another
rescores the new one only (the event carries the activity as it is now).
"""

from __future__ import annotations

from typing import ClassVar
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from crmgraph.db import models
from crmgraph.db.scoping import Scope, scoped
from crmgraph.domain.lead_scoring import rescore_lead
from crmgraph.events.bus import BusEvent
from crmgraph.events.consumers.base import Consumer, batch_session
from crmgraph.events.envelope import Envelope
from crmgraph.events.lead_payloads import LeadCreated, LeadUpdated, TouchpointRecorded
from crmgraph.events.payloads import ActivityEvent


def lead_of(event: BusEvent) -> UUID | None:
    """The lead whose facts the event changed, if any."""
    payload = Envelope.of(event).payload
    if isinstance(payload, LeadCreated | LeadUpdated):
        return payload.lead.id
    if isinstance(payload, TouchpointRecorded):
        return payload.touchpoint.lead_id
    if isinstance(payload, ActivityEvent):
        activity = payload.activity
        return activity.related_id if activity.related_type == "LEAD" else None
    return None


async def locked_lead(session: AsyncSession, scope: Scope, lead_id: UUID) -> models.Lead | None:
    """The lead read afresh and locked until the batch commits (None: deleted since)."""
    return await session.scalar(
        scoped(select(models.Lead), models.Lead, scope)
        .where(models.Lead.id == lead_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )  # fmt: skip


class LeadScorer(Consumer):
    name: ClassVar[str] = "lead-scorer"

    async def handle(self, event: BusEvent) -> None:
        lead_id = lead_of(event)
        if lead_id is None:
            return
        scope = Scope(tenant_id=event.tenant_id, kind="system")
        session = batch_session()
        async with session.begin_nested():  # a failure takes back this event's writes only
            lead = await locked_lead(session, scope, lead_id)
            if lead is None:
                return  # deleted since
            await rescore_lead(session, scope, lead)
