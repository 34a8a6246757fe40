"""Activities: tasks, calendar events and logged communications, linked to any entity."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from crmgraph.db import models
from crmgraph.db.scoping import Scope, get_scoped, scoped
from crmgraph.domain import bounds, validation
from crmgraph.domain.changes import UNSET, Maybe, apply_changes, sent
from crmgraph.errors import DomainError, ErrorCode
from crmgraph.events import outbox, payloads

RELATED_MODELS: dict[str, type[models.TenantRow]] = {
    "CONTACT": models.Contact,
    "LEAD": models.Lead,
    "ACCOUNT": models.Account,
    "DEAL": models.Deal,
}
PRIORITIES = ("LOW", "MEDIUM", "HIGH", "URGENT")
TASK_STATUSES = ("PENDING", "IN_PROGRESS", "COMPLETED", "CANCELLED")
COMMUNICATION_TYPES = ("EMAIL", "CALL", "MEETING", "SMS", "CHAT", "NOTE")
DIRECTIONS = ("INBOUND", "OUTBOUND")


@dataclass(frozen=True, kw_only=True)
class RelatedRef:
    type: str
    id: UUID


async def check_related(session: AsyncSession, scope: Scope, ref: RelatedRef | None) -> None:
    """The related entity must exist in the caller's tenant."""
    if ref is None:
        return
    model = RELATED_MODELS.get(ref.type)
    if model is None:
        raise validation.invalid("relatedTo.type", f"unknown entity type {ref.type}")
    await get_scoped(session, model, ref.id, scope=scope, field="relatedTo", lock=False)


async def check_all_exist(
    session: AsyncSession,
    scope: Scope,
    model: type[models.TenantRow],
    ids: Iterable[UUID],
    *,
    field: str,
) -> None:
    """Every id names a row of model in the caller's tenant (one statement), else NOT_FOUND."""
    wanted = set(ids)
    if not wanted:
        return
    stmt = scoped(select(model.id).where(model.id.in_(wanted)), model, scope)
    missing = wanted - set(await session.scalars(stmt))
    if missing:
        names = ", ".join(sorted(str(m) for m in missing))
        raise DomainError(ErrorCode.NOT_FOUND, f"{model.__name__} {names} not found", field=field)


def _one_of(value: str, allowed: tuple[str, ...], *, field: str) -> str:
    if value not in allowed:
        raise validation.invalid(field, f"{field} must be one of {', '.join(allowed)}")
    return value


def _link(row: models.Task | models.Event | models.Communication, ref: RelatedRef | None) -> None:
    row.related_type = None if ref is None else ref.type
    row.related_id = None if ref is None else ref.id


@dataclass(frozen=True, kw_only=True)
class NewTask:
    title: str
    description: str | None = None
    due_date: datetime | None = None
    priority: str = "MEDIUM"
    status: str = "PENDING"
    assigned_to_id: UUID | None = None
    related_to: RelatedRef | None = None


async def create_task(session: AsyncSession, *, scope: Scope, data: NewTask) -> models.Task:
    """Without assigned_to_id the task is the caller's when the caller is a user of the
    tenant, and unassigned otherwise (development tokens, API clients)."""
    await check_related(session, scope, data.related_to)
    assignee = data.assigned_to_id
    if assignee is not None:
        await check_all_exist(session, scope, models.User, [assignee], field="assignedTo")
    elif scope.user_id is not None:
        stmt = scoped(
            select(models.User.id).where(models.User.id == scope.user_id), models.User, scope
        )
        assignee = await session.scalar(stmt)
    status = _one_of(data.status, TASK_STATUSES, field="status")
    task = models.Task(
        tenant_id=scope.tenant_id,
        title=validation.required_text(data.title, field="title"),
        description=data.description,
        due_date=data.due_date,
        priority=_one_of(data.priority, PRIORITIES, field="priority"),
        status=status,
        assigned_to_id=assignee,
        completed_at=datetime.now(UTC) if status == "COMPLETED" else None,
    )
    _link(task, data.related_to)
    session.add(task)
    await outbox.record(session, scope=scope, event=payloads.ActivityCreated, row=task)
    return task


@dataclass(frozen=True, kw_only=True)
class TaskChanges:
    """A partial update (crmgraph.domain.changes): UNSET keeps a field, None clears it."""

    title: Maybe[str] = UNSET
    description: Maybe[str | None] = UNSET
    due_date: Maybe[datetime | None] = UNSET
    priority: Maybe[str] = UNSET
    status: Maybe[str] = UNSET
    assigned_to: Maybe[UUID | None] = UNSET
    related_to: Maybe[RelatedRef | None] = UNSET


async def update_task(
    session: AsyncSession, *, scope: Scope, task_id: UUID, changes: TaskChanges
) -> models.Task:
    """Moving to COMPLETED stamps completed_at (and records task.completed too); moving away
    from it clears it."""
    task = await get_scoped(session, models.Task, task_id, scope=scope)
    values = sent(changes)
    if "related_to" in values:
        related = values.pop("related_to")
        await check_related(session, scope, related)
        _link(task, related)
    if "assigned_to" in values:
        assignee = values.pop("assigned_to")
        if assignee is not None:
            await check_all_exist(session, scope, models.User, [assignee], field="assignedTo")
        task.assigned_to_id = assignee
    completed = False
    status = values.pop("status", task.status)
    if status != task.status:
        task.status = _one_of(status, TASK_STATUSES, field="status")
        completed = task.status == "COMPLETED"
        task.completed_at = datetime.now(UTC) if completed else None
    apply_changes(task, values, {
        "title": lambda v: validation.required_text(v, field="title"),
        "priority": lambda v: _one_of(v, PRIORITIES, field="priority"),
    })  # fmt: skip
    await outbox.record(session, scope=scope, event=payloads.ActivityUpdated, row=task)
    if completed:
        await outbox.record(session, scope=scope, event=payloads.TaskCompleted, row=task)
    return task


async def complete_task(session: AsyncSession, *, scope: Scope, task_id: UUID) -> models.Task:
    """Completing a task twice is a CONFLICT, so completed_at keeps the first completion."""
    task = await get_scoped(session, models.Task, task_id, scope=scope)
    if task.status == "COMPLETED":
        raise DomainError(ErrorCode.CONFLICT, "the task is already completed", field="id")
    task.status = "COMPLETED"
    task.completed_at = datetime.now(UTC)
    await outbox.record(session, scope=scope, event=payloads.TaskCompleted, row=task)
    return task


async def delete_task(session: AsyncSession, *, scope: Scope, task_id: UUID) -> UUID:
    task = await get_scoped(session, models.Task, task_id, scope=scope)
    await outbox.record(session, scope=scope, event=payloads.ActivityDeleted, row=task)
    await session.delete(task)
    return task_id


@dataclass(frozen=True, kw_only=True)
class NewEvent:
    title: str
    start_time: datetime
    end_time: datetime
    description: str | None = None
    location: str | None = None
    attendee_ids: tuple[UUID, ...] = ()
    related_to: RelatedRef | None = None


def _check_times(start: datetime, end: datetime) -> None:
    if end < start:
        raise validation.invalid("endTime", "endTime must not be before startTime")


async def create_event(session: AsyncSession, *, scope: Scope, data: NewEvent) -> models.Event:
    """attendee_ids are users of the caller's tenant."""
    _check_times(data.start_time, data.end_time)
    validation.at_most(data.attendee_ids, bounds.ATTENDEES, field="attendees")
    await check_related(session, scope, data.related_to)
    await check_all_exist(session, scope, models.User, data.attendee_ids, field="attendees")
    event = models.Event(
        tenant_id=scope.tenant_id,
        title=validation.required_text(data.title, field="title"),
        description=data.description,
        start_time=data.start_time,
        end_time=data.end_time,
        location=data.location,
        attendee_ids=[str(a) for a in dict.fromkeys(data.attendee_ids)],
        owner_id=scope.user_id,
    )
    _link(event, data.related_to)
    session.add(event)
    await outbox.record(session, scope=scope, event=payloads.ActivityCreated, row=event)
    return event


@dataclass(frozen=True, kw_only=True)
class EventChanges:
    """A partial update (crmgraph.domain.changes): UNSET keeps a field, None clears it."""

    title: Maybe[str] = UNSET
    description: Maybe[str | None] = UNSET
    start_time: Maybe[datetime] = UNSET
    end_time: Maybe[datetime] = UNSET
    location: Maybe[str | None] = UNSET
    attendees: Maybe[tuple[UUID, ...] | None] = UNSET
    related_to: Maybe[RelatedRef | None] = UNSET


async def update_event(
    session: AsyncSession, *, scope: Scope, event_id: UUID, changes: EventChanges
) -> models.Event:
    """The resulting endTime must not precede the resulting startTime."""
    values = sent(changes)
    if values.get("attendees") is not None:
        validation.at_most(values["attendees"], bounds.ATTENDEES, field="attendees")
    event = await get_scoped(session, models.Event, event_id, scope=scope)
    _check_times(values.get("start_time", event.start_time), values.get("end_time", event.end_time))
    if "related_to" in values:
        related = values.pop("related_to")
        await check_related(session, scope, related)
        _link(event, related)
    if "attendees" in values:
        attendees = values.pop("attendees") or ()  # null clears the list
        await check_all_exist(session, scope, models.User, attendees, field="attendees")
        event.attendee_ids = [str(a) for a in dict.fromkeys(attendees)]
    apply_changes(event, values, {"title": lambda v: validation.required_text(v, field="title")})
    await outbox.record(session, scope=scope, event=payloads.ActivityUpdated, row=event)
    return event


async def delete_event(session: AsyncSession, *, scope: Scope, event_id: UUID) -> UUID:
    event = await get_scoped(session, models.Event, event_id, scope=scope)
    await outbox.record(session, scope=scope, event=payloads.ActivityDeleted, row=event)
    await session.delete(event)
    return event_id


@dataclass(frozen=True, kw_only=True)
class NewCommunication:
    type: str
    direction: str
    content: str
    subject: str | None = None
    timestamp: datetime | None = None
    participant_ids: tuple[UUID, ...] = ()
    related_to: RelatedRef | None = None


async def log_communication(
    session: AsyncSession, *, scope: Scope, data: NewCommunication
) -> models.Communication:
    """timestamp defaults to now; participant_ids are contacts of the caller's tenant."""
    validation.at_most(data.participant_ids, bounds.PARTICIPANTS, field="participants")
    await check_related(session, scope, data.related_to)
    await check_all_exist(
        session, scope, models.Contact, data.participant_ids, field="participants"
    )
    communication = models.Communication(
        tenant_id=scope.tenant_id,
        type=_one_of(data.type, COMMUNICATION_TYPES, field="type"),
        direction=_one_of(data.direction, DIRECTIONS, field="direction"),
        subject=data.subject,
        content=validation.required_text(data.content, field="content", max_length=100_000),
        occurred_at=data.timestamp or datetime.now(UTC),
        participant_ids=[str(p) for p in dict.fromkeys(data.participant_ids)],
    )
    if data.subject is not None and len(data.subject) > 500:
        raise validation.invalid("subject", "subject is longer than 500 characters")
    _link(communication, data.related_to)
    session.add(communication)
    await outbox.record(session, scope=scope, event=payloads.ActivityCreated, row=communication)
    return communication
