"""Mutation fields of the activities subgraph."""

from __future__ import annotations

from datetime import datetime

import strawberry

from crmgraph.domain import activities
from crmgraph.gql.context import Info
from crmgraph.gql.ids import parse_id, parse_optional_id
from subgraphs.activities.types import Event, Priority, RelatedEntityType, Task, TaskStatus


@strawberry.input(description="The entity an activity is about.")
class RelatedEntityInput:
    type: RelatedEntityType
    id: strawberry.ID

    def to_domain(self) -> activities.RelatedRef:
        return activities.RelatedRef(
            type=self.type.value, id=parse_id(self.id, field="relatedTo.id")
        )


@strawberry.input
class CreateTaskInput:
    title: str
    description: str | None = None
    due_date: datetime | None = None
    priority: Priority = Priority.MEDIUM
    status: TaskStatus = TaskStatus.PENDING
    assigned_to: strawberry.ID | None = strawberry.field(
        default=None, description="A user id; defaults to the caller."
    )
    related_to: RelatedEntityInput | None = None

    def to_domain(self) -> activities.NewTask:
        return activities.NewTask(
            title=self.title,
            description=self.description,
            due_date=self.due_date,
            priority=self.priority.value,
            status=self.status.value,
            assigned_to_id=parse_optional_id(self.assigned_to, field="assignedTo"),
            related_to=None if self.related_to is None else self.related_to.to_domain(),
        )


@strawberry.input
class CreateEventInput:
    title: str
    start_time: datetime
    end_time: datetime
    description: str | None = None
    location: str | None = None
    related_to: RelatedEntityInput | None = None

    def to_domain(self) -> activities.NewEvent:
        return activities.NewEvent(
            title=self.title,
            start_time=self.start_time,
            end_time=self.end_time,
            description=self.description,
            location=self.location,
            related_to=None if self.related_to is None else self.related_to.to_domain(),
        )


@strawberry.type
class TaskPayload:
    task: Task


@strawberry.type
class EventPayload:
    event: Event


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="Create a task, optionally about a contact, lead, account or deal."
    )
    async def create_task(self, info: Info, input: CreateTaskInput) -> TaskPayload:
        data = input.to_domain()
        row = await info.context.write(
            lambda session, scope: activities.create_task(session, scope=scope, data=data)
        )
        return TaskPayload(task=Task.from_row(row))

    @strawberry.mutation(description="Create a calendar event; endTime must not precede startTime.")
    async def create_event(self, info: Info, input: CreateEventInput) -> EventPayload:
        data = input.to_domain()
        row = await info.context.write(
            lambda session, scope: activities.create_event(session, scope=scope, data=data)
        )
        return EventPayload(event=Event.from_row(row))
