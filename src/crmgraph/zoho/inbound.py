"""Storing inbound Zoho events durably, before their delivery is acknowledged.

Every event of a delivery is inserted into zoho_inbound_events, and each new one gets a
zoho.record_received outbox event, all in the caller's one transaction. UNIQUE(org_id,
dedupe_key) decides what is new: an insert that hits it (a repeated delivery, or a copy
arriving at the same time, which waits for the first's commit) is rolled back to its
savepoint and counted as a duplicate, adding nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from crmgraph.db.models import ZohoInboundEvent
from crmgraph.db.scoping import Scope
from crmgraph.events import outbox
from crmgraph.events.zoho_payloads import ZohoRecordReceived
from crmgraph.zoho.formats.base import InboundEvent


@dataclass(frozen=True)
class Source:
    """Where a delivery came from and how it was read."""

    tenant_id: str
    org_id: str
    module: str
    source_format: str
    correlation_id: str


@dataclass(frozen=True)
class Stored:
    """What store() did: the rows it added and how many events were repeats."""

    added: list[ZohoInboundEvent]
    duplicates: int


async def store(session: AsyncSession, source: Source, events: Sequence[InboundEvent]) -> Stored:
    """Insert events (with their outbox events) in the session's transaction."""
    scope = Scope(tenant_id=source.tenant_id, kind="system")
    received_at = datetime.now(UTC)
    added: list[ZohoInboundEvent] = []
    for event in events:
        row = ZohoInboundEvent(
            tenant_id=source.tenant_id,
            org_id=source.org_id,
            module=source.module,
            source_format=source.source_format,
            dedupe_key=event.dedupe_key(source.module)[:512],
            zoho_module=event.zoho_module,
            operation=event.operation,
            record_id=event.record_id,
            event_time=event.event_time or received_at,
            fields=event.fields,
            correlation_id=source.correlation_id[:128],
            received_at=received_at,
        )
        try:
            async with session.begin_nested():
                session.add(row)
                await session.flush()
        except IntegrityError:
            continue  # a repeat: its first copy is stored (or being stored) already
        await outbox.record(session, scope=scope, event=ZohoRecordReceived, row=row)
        added.append(row)
    return Stored(added, len(events) - len(added))
