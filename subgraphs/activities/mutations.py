"""Mutation fields of the activities subgraph."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import strawberry

from crmgraph.domain import activities
from crmgraph.gql.context import Info
from crmgraph.gql.ids import parse_id, parse_optional_id
from crmgraph.gql.inputs import given
from crmgraph.gql.shared_types import DeletePayload
from subgraphs.activities.inputs import RelatedEntityInput
from subgraphs.activities.types import (
    Communication,
    CommunicationDirection,
    CommunicationType,
    Event,
    Priority,
    Task,
    TaskStatus,
)


def _ref(value: RelatedEntityInput | None) -> activities.RelatedRef | None:
    return None if value is None else value.to_domain()


def _ids(values: list[strawberry.ID] | None, *, field: str) -> tuple[UUID, ...]:
    return tuple(parse_id(v, field=field) for v in values or [])


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
            related_to=_ref(self.related_to),
        )


@strawberry.input(description="Only the fields given change; null clears an optional field.")
class UpdateTaskInput:
    title: str | None = strawberry.UNSET
    description: str | None = strawberry.UNSET
    due_date: datetime | None = strawberry.UNSET
    priority: Priority | None = strawberry.UNSET
    status: TaskStatus | None = strawberry.UNSET
    assigned_to: strawberry.ID | None = strawberry.UNSET
    related_to: RelatedEntityInput | None = strawberry.UNSET

    def to_domain(self) -> activities.TaskChanges:
        return given(
            self,
            activities.TaskChanges,
            priority=lambda v: v.value,
            status=lambda v: v.value,
            assigned_to=lambda v: parse_id(v, field="assignedTo"),
            related_to=RelatedEntityInput.to_domain,
        )


@strawberry.input
class CreateEventInput:
    title: str
    start_time: datetime
    end_time: datetime
    description: str | None = None
    location: str | None = None
    attendees: list[strawberry.ID] | None = strawberry.field(
        default=None, description="User ids of this tenant, at most 50."
    )
    related_to: RelatedEntityInput | None = None

    def to_domain(self) -> activities.NewEvent:
        return activities.NewEvent(
            title=self.title,
            start_time=self.start_time,
            end_time=self.end_time,
            description=self.description,
            location=self.location,
            attendee_ids=_ids(self.attendees, field="attendees"),
            related_to=_ref(self.related_to),
        )


@strawberry.input(
    description="Only the fields given change; null clears an optional field (attendees: "
    "all of them)."
)
class UpdateEventInput:
    title: str | None = strawberry.UNSET
    start_time: datetime | None = strawberry.UNSET
    end_time: datetime | None = strawberry.UNSET
    description: str | None = strawberry.UNSET
    location: str | None = strawberry.UNSET
    attendees: list[strawberry.ID] | None = strawberry.UNSET
    related_to: RelatedEntityInput | None = strawberry.UNSET

    def to_domain(self) -> activities.EventChanges:
        return given(
            self,
            activities.EventChanges,
            attendees=lambda v: _ids(v, field="attendees"),
            related_to=RelatedEntityInput.to_domain,
        )


@strawberry.input
class CommunicationInput:
    type: CommunicationType
    direction: CommunicationDirection
    content: str
    subject: str | None = None
    timestamp: datetime | None = strawberry.field(
        default=None, description="When it took place; defaults to now."
    )
    participants: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Contact ids of this tenant, at most 50."
    )
    related_to: RelatedEntityInput | None = None

    def to_domain(self) -> activities.NewCommunication:
        return activities.NewCommunication(
            type=self.type.value,
            direction=self.direction.value,
            content=self.content,
            subject=self.subject,
            timestamp=self.timestamp,
            participant_ids=_ids(self.participants, field="participants"),
            related_to=_ref(self.related_to),
        )


@strawberry.type
class TaskPayload:
    task: Task


@strawberry.type
class EventPayload:
    event: Event


@strawberry.type
class CommunicationPayload:
    communication: Communication


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="Create a task, optionally about a contact, lead, account or deal.",
    )
    async def create_task(self, info: Info, input: CreateTaskInput) -> TaskPayload:
        data = input.to_domain()
        row = await info.context.write(
            lambda session, scope: activities.create_task(session, scope=scope, data=data)
        )
        return TaskPayload(task=Task.from_row(row))

    @strawberry.mutation(
        description="Change a task; COMPLETED stamps its completion time.",
    )
    async def update_task(
        self, info: Info, id: strawberry.ID, input: UpdateTaskInput
    ) -> TaskPayload:
        task_id, changes = parse_id(id), input.to_domain()
        row = await info.context.write(
            lambda session, scope: activities.update_task(
                session, scope=scope, task_id=task_id, changes=changes
            )
        )
        return TaskPayload(task=Task.from_row(row))

    @strawberry.mutation(
        description="Mark a task COMPLETED now; completing it twice is a CONFLICT.",
    )
    async def complete_task(self, info: Info, id: strawberry.ID) -> TaskPayload:
        task_id = parse_id(id)
        row = await info.context.write(
            lambda session, scope: activities.complete_task(session, scope=scope, task_id=task_id)
        )
        return TaskPayload(task=Task.from_row(row))

    @strawberry.mutation(
        description="Delete a task.",
    )
    async def delete_task(self, info: Info, id: strawberry.ID) -> DeletePayload:
        task_id = parse_id(id)
        await info.context.write(
            lambda session, scope: activities.delete_task(session, scope=scope, task_id=task_id)
        )
        return DeletePayload(id=id)

    @strawberry.mutation(
        description="Create a calendar event; endTime must not precede startTime.",
    )
    async def create_event(self, info: Info, input: CreateEventInput) -> EventPayload:
        data = input.to_domain()
        row = await info.context.write(
            lambda session, scope: activities.create_event(session, scope=scope, data=data)
        )
        return EventPayload(event=Event.from_row(row))

    @strawberry.mutation(
        description="Change an event; endTime must not precede startTime.",
    )
    async def update_event(
        self, info: Info, id: strawberry.ID, input: UpdateEventInput
    ) -> EventPayload:
        event_id, changes = parse_id(id), input.to_domain()
        row = await info.context.write(
            lambda session, scope: activities.update_event(
                session, scope=scope, event_id=event_id, changes=changes
            )
        )
        return EventPayload(event=Event.from_row(row))

    @strawberry.mutation(description="Delete an event.")
    async def delete_event(self, info: Info, id: strawberry.ID) -> DeletePayload:
        event_id = parse_id(id)
        await info.context.write(
            lambda session, scope: activities.delete_event(session, scope=scope, event_id=event_id)
        )
        return DeletePayload(id=id)

    @strawberry.mutation(
        description="Log an email, call, meeting, message or note with contacts, optionally "
        "about a contact, lead, account or deal.",
    )
    async def log_communication(
        self, info: Info, input: CommunicationInput
    ) -> CommunicationPayload:
        data = input.to_domain()
        row = await info.context.write(
            lambda session, scope: activities.log_communication(session, scope=scope, data=data)
        )
        return CommunicationPayload(communication=Communication.from_row(row))
