"""Activities: tasks, calendar events and logged communications, linked to any entity."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from crmgraph.db import models
from crmgraph.db.scoping import Scope, get_scoped
from crmgraph.domain import validation
from crmgraph.events import outbox

RELATED_MODELS: dict[str, type[models.TenantRow]] = {
    "CONTACT": models.Contact,
    "LEAD": models.Lead,
    "ACCOUNT": models.Account,
    "DEAL": models.Deal,
}


@dataclass(frozen=True, kw_only=True)
class RelatedRef:
    type: str
    id: UUID


@dataclass(frozen=True, kw_only=True)
class NewTask:
    title: str
    description: str | None = None
    due_date: datetime | None = None
    priority: str = "MEDIUM"
    status: str = "PENDING"
    assigned_to_id: UUID | None = None
    related_to: RelatedRef | None = None


async def check_related(session: AsyncSession, scope: Scope, ref: RelatedRef | None) -> None:
    """The related entity must exist in the caller's tenant."""
    if ref is None:
        return
    model = RELATED_MODELS.get(ref.type)
    if model is None:
        raise validation.invalid("relatedTo.type", f"unknown entity type {ref.type}")
    await get_scoped(session, model, ref.id, scope=scope, field="relatedTo.id")


async def create_task(session: AsyncSession, *, scope: Scope, data: NewTask) -> models.Task:
    await check_related(session, scope, data.related_to)
    task = models.Task(
        tenant_id=scope.tenant_id,
        title=validation.required_text(data.title, field="title"),
        description=data.description,
        due_date=data.due_date,
        priority=data.priority,
        status=data.status,
        assigned_to_id=data.assigned_to_id or scope.user_id,
        related_type=data.related_to.type if data.related_to else None,
        related_id=data.related_to.id if data.related_to else None,
    )
    session.add(task)
    await outbox.record(session, scope=scope, topic="activity.created", row=task)
    return task


@dataclass(frozen=True, kw_only=True)
class NewEvent:
    title: str
    start_time: datetime
    end_time: datetime
    description: str | None = None
    location: str | None = None
    attendee_ids: tuple[UUID, ...] = ()
    related_to: RelatedRef | None = None


async def create_event(session: AsyncSession, *, scope: Scope, data: NewEvent) -> models.Event:
    if data.end_time < data.start_time:
        raise validation.invalid("endTime", "endTime must not be before startTime")
    await check_related(session, scope, data.related_to)
    event = models.Event(
        tenant_id=scope.tenant_id,
        title=validation.required_text(data.title, field="title"),
        description=data.description,
        start_time=data.start_time,
        end_time=data.end_time,
        location=data.location,
        attendee_ids=[str(a) for a in data.attendee_ids],
        related_type=data.related_to.type if data.related_to else None,
        related_id=data.related_to.id if data.related_to else None,
    )
    session.add(event)
    await outbox.record(session, scope=scope, topic="activity.created", row=event)
    return event
