"""Running a stored Zoho event through the zoho-mapper consumer again.

For a dead letter (the mapper gave up: a record our rules refused, a deal for a tenant with
no pipeline) once its cause is fixed, or to re-apply a processed one. The event's delivery
to the mapper becomes pending again with its attempts reset (or is made anew when the event
was handled), and the event is marked unprocessed, so the mapper applies it once more: a
CRM record older than what we hold is still skipped; an activity is logged again.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from crmgraph.db import models
from crmgraph.db.scoping import Scope, get_scoped, scoped
from crmgraph.db.types import utcnow
from crmgraph.errors import DomainError, ErrorCode
from crmgraph.events.deliveries import DEAD, PENDING
from crmgraph.events.topics import Topic

MAPPER = "zoho-mapper"  # crmgraph.events.consumers.zoho_mapper.ZohoMapper.name


@dataclass(frozen=True, kw_only=True)
class Replayed:
    event_id: UUID
    was: str  # dead | pending | processed


async def replay(session: AsyncSession, *, scope: Scope, event_id: UUID) -> Replayed:
    """Queue the stored event event_id of scope's tenant for the mapper again."""
    row = await get_scoped(session, models.ZohoInboundEvent, event_id, scope=scope)
    outbox_id = await session.scalar(
        scoped(select(models.OutboxEvent.id), models.OutboxEvent, scope).where(
            models.OutboxEvent.aggregate_id == row.id,
            models.OutboxEvent.topic == Topic.ZOHO_RECORD_RECEIVED.value,
        )
    )
    if outbox_id is None:  # stored by a build without the mapper: nothing to run again
        raise DomainError(ErrorCode.NOT_FOUND, f"no event to replay for {event_id}", field="id")
    delivery = await session.get(
        models.OutboxDelivery, (MAPPER, outbox_id), with_for_update=True, populate_existing=True
    )
    was = "processed" if row.processed_at is not None else PENDING
    if delivery is None:
        session.add(models.OutboxDelivery(consumer=MAPPER, outbox_id=outbox_id))
    else:
        was = DEAD if delivery.state == DEAD else was
        delivery.state, delivery.attempts, delivery.last_error = PENDING, 0, None
        delivery.next_attempt_at = utcnow()
    row.processed_at, row.outcome, row.entity_id = None, None, None
    return Replayed(event_id=row.id, was=was)


async def tenant_of(session: AsyncSession, event_id: UUID) -> str | None:
    """The tenant a stored event belongs to (the operator's CLI names only the event)."""
    row = await session.get(models.ZohoInboundEvent, event_id)
    return None if row is None else row.tenant_id
