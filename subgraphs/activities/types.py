"""GraphQL types of the activities subgraph."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import Enum
from typing import Annotated
from uuid import UUID

import strawberry

from crmgraph.db import models
from crmgraph.gql.context import Info
from crmgraph.gql.ids import parse_id
from crmgraph.gql.shared_types import REFERENCE_ONLY


@strawberry.enum
class Priority(Enum):
    LOW = "LOW"
    MEDIUM = "MEDIUM"
    HIGH = "HIGH"
    URGENT = "URGENT"


@strawberry.enum
class TaskStatus(Enum):
    PENDING = "PENDING"
    IN_PROGRESS = "IN_PROGRESS"
    COMPLETED = "COMPLETED"
    CANCELLED = "CANCELLED"


@strawberry.enum
class RelatedEntityType(Enum):
    CONTACT = "CONTACT"
    LEAD = "LEAD"
    ACCOUNT = "ACCOUNT"
    DEAL = "DEAL"


# Entities owned elsewhere, referenced by id only.
@strawberry.federation.type(keys=REFERENCE_ONLY)
class Contact:
    id: strawberry.ID


@strawberry.federation.type(keys=REFERENCE_ONLY)
class Lead:
    id: strawberry.ID


@strawberry.federation.type(keys=REFERENCE_ONLY)
class Account:
    id: strawberry.ID


@strawberry.federation.type(keys=REFERENCE_ONLY)
class Deal:
    id: strawberry.ID


RelatedEntity = Annotated[Contact | Lead | Account | Deal, strawberry.union("RelatedEntity")]
STUBS: dict[str, type[Contact | Lead | Account | Deal]] = {
    "CONTACT": Contact,
    "LEAD": Lead,
    "ACCOUNT": Account,
    "DEAL": Deal,
}


def related(kind: str | None, id_: UUID | None) -> Contact | Lead | Account | Deal | None:
    if kind is None or id_ is None:
        return None
    return STUBS[kind](id=strawberry.ID(str(id_)))


@strawberry.federation.type(keys=["id"], description="A to-do with a due date.")
class Task:
    id: strawberry.ID
    title: str
    description: str | None
    due_date: datetime | None
    priority: Priority
    status: TaskStatus
    created_at: datetime
    updated_at: datetime
    related_to: RelatedEntity | None

    @classmethod
    def from_row(cls, row: models.Task) -> Task:
        return cls(
            id=strawberry.ID(str(row.id)),
            title=row.title,
            description=row.description,
            due_date=row.due_date,
            priority=Priority(row.priority),
            status=TaskStatus(row.status),
            created_at=row.created_at,
            updated_at=row.updated_at,
            related_to=related(row.related_type, row.related_id),
        )

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Task | None:
        row = await info.context.loaders.task_by_id.load(parse_id(id))
        return None if row is None else cls.from_row(row)

    @strawberry.field(description="Due in the past and not completed or cancelled.")
    def is_overdue(self) -> bool:
        open_ = self.status in (TaskStatus.PENDING, TaskStatus.IN_PROGRESS)
        return open_ and self.due_date is not None and self.due_date < datetime.now(UTC)

    @strawberry.field(description="Whole days until the due date (negative when overdue).")
    def days_until_due(self) -> int | None:
        return None if self.due_date is None else (self.due_date - datetime.now(UTC)).days


@strawberry.federation.type(keys=["id"], description="A meeting or call in the calendar.")
class Event:
    id: strawberry.ID
    title: str
    description: str | None
    start_time: datetime
    end_time: datetime
    location: str | None
    created_at: datetime
    updated_at: datetime
    related_to: RelatedEntity | None

    @classmethod
    def from_row(cls, row: models.Event) -> Event:
        return cls(
            id=strawberry.ID(str(row.id)),
            title=row.title,
            description=row.description,
            start_time=row.start_time,
            end_time=row.end_time,
            location=row.location,
            created_at=row.created_at,
            updated_at=row.updated_at,
            related_to=related(row.related_type, row.related_id),
        )

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Event | None:
        row = await info.context.loaders.event_by_id.load(parse_id(id))
        return None if row is None else cls.from_row(row)

    @strawberry.field(description="Length in minutes.")
    def duration(self) -> int:
        return int((self.end_time - self.start_time).total_seconds() // 60)

    @strawberry.field(description="Starts in the future.")
    def is_upcoming(self) -> bool:
        return self.start_time > datetime.now(UTC)


Activity = Annotated[Task | Event, strawberry.union("Activity")]
