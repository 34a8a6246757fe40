"""Subscription fields of the activities subgraph: a user's new activities and due tasks.

Each event carries the activity as written, so a subscriber is answered from the event."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from uuid import UUID

import strawberry

from crmgraph.db import models
from crmgraph.events.envelope import Envelope
from crmgraph.events.payloads import ActivityCreated, TaskDue
from crmgraph.events.states import EventState, TaskState, row_of
from crmgraph.events.stream import once_per_event
from crmgraph.gql.context import Info
from crmgraph.gql.ids import parse_id
from subgraphs.activities.types import Activity, Communication, Event, Task


def concerns(payload: ActivityCreated, user_id: UUID) -> bool:
    """A task assigned to the user, an event the user attends, or anything the user logged."""
    activity = payload.activity
    return (
        (isinstance(activity, TaskState) and activity.assigned_to_id == user_id)
        or (isinstance(activity, EventState) and str(user_id) in (activity.attendee_ids or []))
        or payload.actor_id == user_id
    )


@once_per_event
def activity_of(event: Envelope[ActivityCreated]) -> Activity:
    """The activity as the event carries it, of its kind."""
    activity = event.payload.activity
    if isinstance(activity, TaskState):
        return Task.from_row(row_of(models.Task, activity))
    if isinstance(activity, EventState):
        return Event.from_row(row_of(models.Event, activity))
    return Communication.from_row(row_of(models.Communication, activity))


@once_per_event
def due_task_of(event: Envelope[TaskDue]) -> Task:
    return Task.from_row(row_of(models.Task, event.payload.task))


@strawberry.type
class Subscription:
    @strawberry.subscription(
        description="Each activity created for the user: a task assigned to them, an event "
        "they attend, or any activity they logged.",
    )
    async def new_activity(
        self, info: Info, user_id: strawberry.ID
    ) -> AsyncGenerator[Activity, None]:
        user = parse_id(user_id, field="userId")
        async for event in info.context.events(ActivityCreated):
            if concerns(event.payload, user):
                yield activity_of(event)

    @strawberry.subscription(
        description="Each open task assigned to the user, once, when its due date passes.",
    )
    async def task_due(self, info: Info, user_id: strawberry.ID) -> AsyncGenerator[Task, None]:
        user = parse_id(user_id, field="userId")
        async for event in info.context.events(TaskDue):
            if event.payload.task.assigned_to_id == user:
                yield due_task_of(event)
