"""The lead-router consumer: routes a lead to a sales rep once its score qualifies it.

It wants lead.scored (crmgraph.domain.lead_scoring records one whenever a score changes).
For each it locks the lead and runs crmgraph.domain.lead_routing.route_lead in the batch's
own transaction (base.batch_session), so the owner, the qualification task, their events
and the routing row commit together with the delivery, or not at all. The lead's score is
read as it is now under the lock, not from the event: an older event handled late routes on
the current score. A repeated event (a retry, a replayed batch) or a later rescoring finds
the routing row and does nothing, so a lead is routed exactly once.
"""

from __future__ import annotations

from typing import ClassVar

from crmgraph.db.scoping import Scope
from crmgraph.domain.lead_routing import route_lead
from crmgraph.events.bus import BusEvent
from crmgraph.events.consumers.base import Consumer, batch_session
from crmgraph.events.consumers.lead_scorer import locked_lead
from crmgraph.events.envelope import Envelope
from crmgraph.events.lead_payloads import LeadScored


class LeadRouter(Consumer):
    name: ClassVar[str] = "lead-router"

    async def handle(self, event: BusEvent) -> None:
        payload = Envelope.of(event).payload
        if not isinstance(payload, LeadScored):
            return
        scope = Scope(tenant_id=event.tenant_id, kind="system")
        session = batch_session()
        async with session.begin_nested():  # a failure takes back this event's writes only
            lead = await locked_lead(session, scope, payload.lead.id)
            if lead is None:
                return  # deleted since
            await route_lead(session, scope, lead, event_id=event.event_id)
