"""Mutation fields of the activities subgraph."""

from __future__ import annotations

import strawberry

from crmgraph.domain import activities
from crmgraph.domain.health_weights import set_weights
from crmgraph.gql.context import Info
from crmgraph.gql.ids import parse_id
from crmgraph.gql.shared_types import DeletePayload
from subgraphs.activities.inputs import (
    CommunicationInput,
    CreateEventInput,
    CreateTaskInput,
    HealthWeightsInput,
    UpdateEventInput,
    UpdateTaskInput,
)
from subgraphs.activities.types import (
    Communication,
    Event,
    HealthWeights,
    Task,
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

    @strawberry.mutation(
        description="Set the tenant's weights of the customer health components (tenant "
        "admins); each at least 0, their sum above 0.",
    )
    async def set_customer_health_weights(
        self, info: Info, input: HealthWeightsInput
    ) -> HealthWeights:
        weights = input.to_domain()
        stored = await info.context.write(
            lambda session, scope: set_weights(session, scope, weights)
        )
        return HealthWeights.from_weights(stored)
