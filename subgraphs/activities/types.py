"""GraphQL types of the activities subgraph: Task, Event, Communication (the Activity union)
and the activity fields it adds to entities owned elsewhere."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from enum import Enum
from typing import Annotated, Any
from uuid import UUID

import strawberry

from crmgraph.db import models
from crmgraph.db.pagination import Page, PageArgs, Sort
from crmgraph.gql.connections import Connection, to_connection
from crmgraph.gql.context import Info
from crmgraph.gql.entities import by_ids
from crmgraph.gql.ids import parse_id
from crmgraph.gql.shared_types import REFERENCE_ONLY
from subgraphs.activities.feed import ActivityRow, ActivitySpec, occurred_at
from subgraphs.activities.inputs import ActivityFilter, ActivitySort, sort_of, spec_of
from subgraphs.activities.loaders import RelatedCount, RelatedPage

RECENT = timedelta(days=7)
NEWEST_FIRST = Sort(column="occurred_at", descending=True)
SOONEST_FIRST = Sort(column="occurred_at")


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
class CommunicationType(Enum):
    EMAIL = "EMAIL"
    CALL = "CALL"
    MEETING = "MEETING"
    SMS = "SMS"
    CHAT = "CHAT"
    NOTE = "NOTE"


@strawberry.enum
class CommunicationDirection(Enum):
    INBOUND = "INBOUND"
    OUTBOUND = "OUTBOUND"


@strawberry.federation.type(keys=REFERENCE_ONLY)
class User:
    id: strawberry.ID


def _user(id_: UUID | str) -> User:
    return User(id=strawberry.ID(str(id_)))


async def _page(info: Info, key: RelatedPage) -> Page[ActivityRow]:
    return await info.context.loaders.activities_by_related.load(key)


async def _first(info: Info, key: RelatedPage) -> Activity | None:
    rows = (await _page(info, key)).rows
    return activity_node(rows[0]) if rows else None


@strawberry.type
class HasActivities:
    """Activity fields of an entity owned elsewhere; its GraphQL name is its related type."""

    id: strawberry.ID

    def _related(self) -> tuple[tuple[str, ...], UUID]:
        return (type(self).__name__.upper(),), parse_id(self.id)

    @strawberry.field(
        description="Activities about this entity, oldest first unless sorted.",
    )
    async def activities(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        filter: ActivityFilter | None = None,
        sort: ActivitySort | None = None,
    ) -> Connection[Activity]:
        types, parent = self._related()
        spec = spec_of(filter)
        args = PageArgs(first, after, last, before)
        page = await _page(info, RelatedPage(types, parent, args, spec, sort_of(sort)))
        counts = info.context.loaders.activity_count_by_related
        return to_connection(
            page, activity_node, lambda: counts.load(RelatedCount(types, parent, spec))
        )

    @strawberry.field(
        description="The latest activity that has already happened (by occurrence time: task "
        "dueDate or createdAt, event startTime, communication timestamp).",
    )
    async def last_activity(self, info: Info) -> Activity | None:
        types, parent = self._related()
        past = ActivitySpec(past_at=info.context.loaders.activity_now)
        return await _first(info, RelatedPage(types, parent, PageArgs(1), past, NEWEST_FIRST))


@strawberry.type
class HasNextActivity(HasActivities):
    @strawberry.field(
        description="The earliest open task due from now on, or event starting from now on.",
    )
    async def next_activity(self, info: Info) -> Activity | None:
        types, parent = self._related()
        pending = ActivitySpec(pending_from=info.context.loaders.activity_now)
        return await _first(info, RelatedPage(types, parent, PageArgs(1), pending, SOONEST_FIRST))


# Entities owned elsewhere: this subgraph adds their activity fields.
@strawberry.federation.type(keys=["id"])
class Contact(HasActivities):
    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> Contact:
        return cls(id=id)


@strawberry.federation.type(keys=["id"])
class Lead(HasActivities):
    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> Lead:
        return cls(id=id)


@strawberry.federation.type(keys=["id"])
class Account(HasNextActivity):
    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> Account:
        return cls(id=id)


@strawberry.federation.type(keys=["id"])
class Deal(HasNextActivity):
    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> Deal:
        return cls(id=id)


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
    assigned_to: User | None = strawberry.field(
        description="The assignee; null only for tasks created without a user."
    )
    completed_at: datetime | None
    related_to: RelatedEntity | None
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
    attendees: list[User]
    related_to: RelatedEntity | None
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
    def is_upcoming(self) -> bool:
        return self.start_time > datetime.now(UTC)


@strawberry.federation.type(keys=["id"], description="A logged email, call, meeting, message.")
class Communication:
    id: strawberry.ID
    type: CommunicationType
    direction: CommunicationDirection
    subject: str | None
    content: str
    timestamp: datetime = strawberry.field(description="When it took place.")
    participants: list[Contact] = strawberry.field(description="The contacts taking part.")
    related_to: RelatedEntity | None
    created_at: datetime

    @classmethod
    def from_row(cls, row: models.Communication) -> Communication:
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
    def is_recent(self) -> bool:
        now = datetime.now(UTC)
        return now - RECENT <= self.timestamp <= now


Activity = Annotated[Task | Event | Communication, strawberry.union("Activity")]


def activity_node(row: ActivityRow) -> Activity:
    if isinstance(row, models.Task):
        return Task.from_row(row)
    if isinstance(row, models.Event):
        return Event.from_row(row)
    return Communication.from_row(row)


CUSTOMER = ("CONTACT", "ACCOUNT")


@strawberry.federation.type(keys=["id"])
class CustomerOverview:
    """customerOverview(customerId): id is the customerId, a contact or an account id."""

    id: strawberry.ID

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> CustomerOverview:
        return cls(id=id)

    @strawberry.field(
        description="Activities about the contact or account, newest first by occurrence "
        "time, at most the maximum page size (100 by default).",
    )
    async def activities(self, info: Info) -> list[Activity]:
        size = info.context.runtime.settings.max_page_size
        key = RelatedPage(CUSTOMER, parse_id(self.id), PageArgs(size), sort=NEWEST_FIRST)
        return [activity_node(row) for row in (await _page(info, key)).rows]

    @strawberry.field(
        description="When the latest activity that has already happened occurred.",
    )
    async def last_interaction(self, info: Info) -> datetime | None:
        past = ActivitySpec(past_at=info.context.loaders.activity_now)
        key = RelatedPage(CUSTOMER, parse_id(self.id), PageArgs(1), past, NEWEST_FIRST)
        rows = (await _page(info, key)).rows
        return occurred_at(rows[0]) if rows else None
