"""The task.due scheduler: a task's due event goes into the outbox once, when it falls due."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from crmgraph.db import models
from crmgraph.db.scoping import Scope
from crmgraph.db.types import utcnow
from crmgraph.events import outbox, payloads

OPEN_STATUSES = ("PENDING", "IN_PROGRESS")


async def emit_due_tasks(
    session: AsyncSession, *, now: datetime | None = None, limit: int = 100
) -> int:
    """Mark open tasks whose due date has passed and record task.due for each; returns how
    many. due_notified_at is set in the same transaction as the event, so a restart never
    repeats one; SKIP LOCKED lets several processes run this at once."""
    now = now or utcnow()
    task = models.Task
    stmt = (
        select(task)
        .where(
            task.due_date <= now,
            task.due_notified_at.is_(None),
            task.status.in_(OPEN_STATUSES),
        )
        .order_by(task.due_date, task.id)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    rows = (await session.scalars(stmt)).all()
    for row in rows:
        row.due_notified_at = now
        scope = Scope(tenant_id=row.tenant_id, kind="system")
        await outbox.record(session, scope=scope, event=payloads.TaskDue, row=row)
    return len(rows)
