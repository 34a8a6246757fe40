"""Writing domain events into the outbox, inside the caller's transaction."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from crmgraph.db.models import Base, OutboxEvent, TenantRow
from crmgraph.db.scoping import Scope
from crmgraph.events import codec, deliveries
from crmgraph.events.payloads import Payload, RuleCause
from crmgraph.events.states import field_name

# The automation rule run whose actions are being written (crmgraph.domain.automation_runs):
# the events they record say so, which is how rules avoid triggering themselves.
_CAUSE: ContextVar[RuleCause | None] = ContextVar("crmgraph_rule_cause", default=None)


@contextmanager
def caused_by(cause: RuleCause) -> Iterator[None]:
    """Every event recorded inside carries cause (its `automation` field)."""
    token = _CAUSE.set(cause)
    try:
        yield
    finally:
        _CAUSE.reset(token)


async def record(
    session: AsyncSession,
    *,
    scope: Scope,
    event: type[Payload],
    row: TenantRow,
    extra: Mapping[str, Any] | None = None,
    first: bool = False,
) -> OutboxEvent:
    """Add an event of kind `event` (e.g. payloads.DealCreated) about row; the caller's
    commit publishes it.

    The payload is built here, after a flush, so that it holds the row as written (its id,
    defaults, updated_at): row goes in the field named after its model (`deal`),
    scope.user_id in actor_id, and extra's items in the other fields (rows among them
    become their states). Wrong types fail here (codec.build). The per-aggregate sequence
    lets consumers drop duplicates and spot gaps. first: row was just inserted with a new
    id, so this is its aggregate's first event (sequence 1): no query for the last one.
    """
    await session.flush()
    values = {field_name(type(row)): _plain(row), "actor_id": scope.user_id}
    values.update({key: _plain(value) for key, value in (extra or {}).items()})
    cause = _CAUSE.get()
    if cause is not None:
        values["automation"] = asdict(cause)
    payload = codec.build(event, values)
    last = None
    if not first:
        last = await session.scalar(
            select(func.max(OutboxEvent.sequence)).where(OutboxEvent.aggregate_id == row.id)
        )
    outbox_row = OutboxEvent(
        tenant_id=scope.tenant_id,
        topic=event.TOPIC.value,
        aggregate_type=event.TOPIC.aggregate,
        aggregate_id=row.id,
        sequence=(last or 0) + 1,
        payload=codec.encode(payload),
    )
    session.add(outbox_row)
    deliveries.enqueue(session, outbox_row)
    return outbox_row


def _plain(value: object) -> object:
    """Rows as their columns, times in UTC as the database keeps them (a subscriber sees
    what a query would)."""
    if isinstance(value, Base):
        columns = value.__table__.columns
        return {col.key: _plain(getattr(value, col.key)) for col in columns}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return value
