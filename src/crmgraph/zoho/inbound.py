"""Storing inbound Zoho events durably, before their delivery is acknowledged.

Every event of a delivery is inserted into zoho_inbound_events, and each new one gets a
zoho.record_received outbox event, all in the caller's one transaction. UNIQUE(org_id,
dedupe_key) decides what is new: an INSERT ... ON CONFLICT DO NOTHING that hits it (a
repeated delivery, or a copy arriving at the same time, which waits for the first's commit)
adds nothing and counts as a duplicate. One statement per event, no savepoint: this is the
path every webhook waits on before its 202.

With `keys_stamp` (the stamp of the organisation's keys the delivery was verified with,
crmgraph.zoho.orgs.find_stamped) each insert happens only while the organisation's row is
still the one stamped: keys changed or removed since they were read (cached) raise
KeysChanged and the caller's transaction stores nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import literal, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from crmgraph.db.models import ZohoInboundEvent
from crmgraph.db.scoping import Scope
from crmgraph.db.types import utcnow
from crmgraph.events import outbox
from crmgraph.events.zoho_payloads import ZohoRecordReceived
from crmgraph.zoho import orgs
from crmgraph.zoho.formats.base import InboundEvent

TABLE = ZohoInboundEvent.__table__


class KeysChanged(Exception):
    """The organisation's keys are no longer those the delivery was verified with."""


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


async def store(
    session: AsyncSession,
    source: Source,
    events: Sequence[InboundEvent],
    *,
    keys_stamp: str | None = None,
) -> Stored:
    """Insert events (with their outbox events) in the session's transaction."""
    scope = Scope(tenant_id=source.tenant_id, kind="system")
    received_at = datetime.now(UTC)
    added: list[ZohoInboundEvent] = []
    for event in events:
        now = utcnow()
        row = ZohoInboundEvent(
            id=uuid.uuid4(),
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
            processed_at=None,
            outcome=None,
            entity_id=None,
            created_at=now,
            updated_at=now,
        )
        if not await _insert(session, row, keys_stamp):
            if keys_stamp is not None and not await orgs.stamped(session, row.org_id, keys_stamp):
                raise KeysChanged(row.org_id)
            continue  # a repeat: its first copy is stored (or being stored) already
        await outbox.record(session, scope=scope, event=ZohoRecordReceived, row=row, first=True)
        added.append(row)
    return Stored(added, len(events) - len(added))


async def _insert(session: AsyncSession, row: ZohoInboundEvent, keys_stamp: str | None) -> bool:
    """Insert row unless its dedupe key is taken (or, with keys_stamp, its organisation's
    keys changed); whether it was inserted."""
    values = {column.key: getattr(row, column.key) for column in TABLE.columns}
    insert: Any = postgresql.insert
    if session.get_bind().dialect.name == "sqlite":
        insert = sqlite.insert
    if keys_stamp is None:
        statement = insert(TABLE).values(values)
    else:
        chosen = select(*(literal(values[c.key], c.type) for c in TABLE.columns))
        statement = insert(TABLE).from_select(
            list(values), chosen.where(orgs.unchanged(row.org_id, keys_stamp))
        )
    statement = statement.on_conflict_do_nothing(
        index_elements=[TABLE.c.org_id, TABLE.c.dedupe_key]
    ).returning(TABLE.c.id)
    return (await session.execute(statement)).first() is not None
