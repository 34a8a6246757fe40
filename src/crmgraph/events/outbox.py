"""Writing domain events into the outbox, inside the caller's transaction."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from crmgraph.db.models import OutboxEvent, TenantRow
from crmgraph.db.scoping import Scope
from crmgraph.events import deliveries

T = TypeVar("T", bound=TenantRow)


def snapshot(row: TenantRow) -> dict[str, Any]:
    """The row's columns as JSON-safe values."""
    return {col.key: _json_value(getattr(row, col.key)) for col in row.__table__.columns}  # type: ignore[attr-defined]


def from_snapshot(model: type[T], data: dict[str, Any]) -> T:
    """A detached row rebuilt from snapshot(): lets subscribers use an event's data without
    a query per subscriber."""
    values: dict[str, Any] = {}
    for col in model.__table__.columns:  # type: ignore[attr-defined]
        raw = data.get(col.key)
        if raw is None:
            values[col.key] = None
            continue
        kind = col.type.python_type
        if kind is datetime:
            values[col.key] = datetime.fromisoformat(raw)
        elif kind in (uuid.UUID, Decimal):
            values[col.key] = kind(str(raw))
        else:
            values[col.key] = raw
    return model(**values)


def _json_value(value: object) -> object:
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return value


async def record(
    session: AsyncSession,
    *,
    scope: Scope,
    topic: str,
    row: TenantRow,
    extra: dict[str, Any] | None = None,
) -> OutboxEvent:
    """Add the event `topic` (e.g. deal.created) about row; the caller's commit publishes it.

    The per-aggregate sequence lets consumers drop duplicates and spot gaps.
    """
    await session.flush()  # the row needs its id and defaults in the payload
    last = await session.scalar(
        select(func.max(OutboxEvent.sequence)).where(OutboxEvent.aggregate_id == row.id)
    )
    payload: dict[str, Any] = {"data": snapshot(row)}
    if scope.user_id is not None:
        payload["actor_id"] = str(scope.user_id)
    if extra:
        payload.update(extra)
    event = OutboxEvent(
        tenant_id=scope.tenant_id,
        topic=topic,
        aggregate_type=topic.split(".", 1)[0],
        aggregate_id=row.id,
        sequence=(last or 0) + 1,
        payload=payload,
    )
    session.add(event)
    deliveries.enqueue(session, event)
    return event
