"""Task, Event and Communication (the Activity union) and the user they name. What an
activity is related to, and a communication's participants, are the entities of
extended.py, which refer to activities in turn: named lazily here (strawberry.lazy)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any
from uuid import UUID

import strawberry

from crmgraph.db import models
from crmgraph.domain import activity_times
from crmgraph.gql.context import Info
from crmgraph.gql.entities import by_ids
from crmgraph.gql.ids import parse_id
from crmgraph.gql.shared_types import REFERENCE_ONLY
from subgraphs.activities.enums import (
    CommunicationDirection,
    CommunicationType,
    Priority,
    TaskStatus,
)
from subgraphs.activities.feed import ActivityRow

if TYPE_CHECKING:
    from subgraphs.activities.types.extended import Account, Contact, Deal, Lead, RelatedEntity

EXTENDED = "subgraphs.activities.types.extended"
LazyRelated = Annotated["RelatedEntity", strawberry.lazy(EXTENDED)]
LazyContact = Annotated["Contact", strawberry.lazy(EXTENDED)]


@strawberry.federation.type(keys=REFERENCE_ONLY)
class User:
    id: strawberry.ID


def _user(id_: UUID | str) -> User:
    return User(id=strawberry.ID(str(id_)))


def related(kind: str | None, id_: UUID | None) -> Contact | Lead | Account | Deal | None:
    if kind is None or id_ is None:
        return None
    # Imported here: extended.py imports this module for the Activity union.
    from subgraphs.activities.types.extended import STUBS

    return STUBS[kind](id=strawberry.ID(str(id_)))


@strawberry.federation.type(keys=["id"], description="A to-do with a due date.")
class Task:
    id: strawberry.ID
    title: str
    description: str | None
    due_date: datetime | None
    priority: Priority
    status: TaskStatus
    assigned_to: User | None = strawberry.field(
        description="The assignee; null only for tasks created without a user."
    )
    completed_at: datetime | None
    related_to: LazyRelated | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_row(cls, row: models.Task) -> Task:
        return cls(
            id=strawberry.ID(str(row.id)),
            title=row.title,
            description=row.description,
            due_date=row.due_date,
            priority=Priority(row.priority),
            status=TaskStatus(row.status),
            assigned_to=None if row.assigned_to_id is None else _user(row.assigned_to_id),
            completed_at=row.completed_at,
            related_to=related(row.related_type, row.related_id),
            created_at=row.created_at,
            updated_at=row.updated_at,
        )

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Task | None:
        row = await info.context.loaders.task_by_id.load(parse_id(id))
        return None if row is None else cls.from_row(row)

    @classmethod
    async def resolve_references(cls, info: Info, ids: list[Any]) -> list[Task | None]:
        return await by_ids(info.context.loaders.task_by_id, ids, cls.from_row)

    @strawberry.field(description="Due in the past and not completed or cancelled.")
    def is_overdue(self, info: Info) -> bool:
        return activity_times.task_is_overdue(self.status.value, self.due_date, info.context.now())

    @strawberry.field(description="Whole days until the due date (negative when overdue).")
    def days_until_due(self, info: Info) -> int | None:
        return activity_times.days_until(self.due_date, info.context.now())


@strawberry.federation.type(keys=["id"], description="A meeting or call in the calendar.")
class Event:
    id: strawberry.ID
    title: str
    description: str | None
    start_time: datetime
    end_time: datetime
    location: str | None
    attendees: list[User]
    related_to: LazyRelated | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_row(cls, row: models.Event) -> Event:
        return cls(
            id=strawberry.ID(str(row.id)),
            title=row.title,
            description=row.description,
            start_time=row.start_time,
            end_time=row.end_time,
            location=row.location,
            attendees=[_user(a) for a in row.attendee_ids or []],
            related_to=related(row.related_type, row.related_id),
            created_at=row.created_at,
            updated_at=row.updated_at,
        )

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Event | None:
        row = await info.context.loaders.event_by_id.load(parse_id(id))
        return None if row is None else cls.from_row(row)

    @classmethod
    async def resolve_references(cls, info: Info, ids: list[Any]) -> list[Event | None]:
        return await by_ids(info.context.loaders.event_by_id, ids, cls.from_row)

    @strawberry.field(description="Length in whole minutes.")
    def duration(self) -> int:
        return int((self.end_time - self.start_time).total_seconds() // 60)

    @strawberry.field(description="Starts in the future.")
    def is_upcoming(self, info: Info) -> bool:
        return activity_times.is_upcoming(self.start_time, info.context.now())


@strawberry.federation.type(keys=["id"], description="A logged email, call, meeting, message.")
class Communication:
    id: strawberry.ID
    type: CommunicationType
    direction: CommunicationDirection
    subject: str | None
    content: str
    timestamp: datetime = strawberry.field(description="When it took place.")
    participants: list[LazyContact] = strawberry.field(description="The contacts taking part.")
    related_to: LazyRelated | None
    created_at: datetime

    @classmethod
    def from_row(cls, row: models.Communication) -> Communication:
        from subgraphs.activities.types.extended import Contact

        return cls(
            id=strawberry.ID(str(row.id)),
            type=CommunicationType(row.type),
            direction=CommunicationDirection(row.direction),
            subject=row.subject,
            content=row.content,
            timestamp=row.occurred_at,
            participants=[Contact(id=strawberry.ID(p)) for p in row.participant_ids or []],
            related_to=related(row.related_type, row.related_id),
            created_at=row.created_at,
        )

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Communication | None:
        row = await info.context.loaders.communication_by_id.load(parse_id(id))
        return None if row is None else cls.from_row(row)

    @classmethod
    async def resolve_references(cls, info: Info, ids: list[Any]) -> list[Communication | None]:
        return await by_ids(info.context.loaders.communication_by_id, ids, cls.from_row)

    @strawberry.field(description="Took place within the last 7 days (not in the future).")
    def is_recent(self, info: Info) -> bool:
        return activity_times.is_recent(self.timestamp, info.context.now())


Activity = Annotated[Task | Event | Communication, strawberry.union("Activity")]


def activity_node(row: ActivityRow) -> Activity:
    if isinstance(row, models.Task):
        return Task.from_row(row)
    if isinstance(row, models.Event):
        return Event.from_row(row)
    return Communication.from_row(row)
