"""Subscription fields of the activities subgraph: a user's new activities and due tasks."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from uuid import UUID

import strawberry

from crmgraph.events.bus import BusEvent
from crmgraph.gql.context import Info
from crmgraph.gql.ids import parse_id
from subgraphs.activities.types import Activity, Communication, Event, Task


def concerns(event: BusEvent, user_id: str) -> bool:
    """A task assigned to the user, an event the user attends, or anything the user logged."""
    data = event.data
    return (
        data.get("assigned_to_id") == user_id
        or user_id in (data.get("attendee_ids") or [])
        or event.payload.get("actor_id") == user_id
    )


async def activity_of(info: Info, event: BusEvent) -> Activity | None:
    """The activity as it is now (None once deleted); its kind from the event's columns."""
    loaders, id_ = info.context.loaders, UUID(event.aggregate_id)
    if "start_time" in event.data:
        found_event = await loaders.event_by_id.load(id_)
        return None if found_event is None else Event.from_row(found_event)
    if "occurred_at" in event.data:
        communication = await loaders.communication_by_id.load(id_)
        return None if communication is None else Communication.from_row(communication)
    task = await loaders.task_by_id.load(id_)
    return None if task is None else Task.from_row(task)


@strawberry.type
class Subscription:
    @strawberry.subscription(
        description="Each activity created for the user: a task assigned to them, an event "
        "they attend, or any activity they logged.",
    )
    async def new_activity(
        self, info: Info, user_id: strawberry.ID
    ) -> AsyncGenerator[Activity, None]:
        user = str(parse_id(user_id, field="userId"))
        async for event in info.context.events("activity.created"):
            if concerns(event, user):
                activity = await activity_of(info, event)
                if activity is not None:
                    yield activity

    @strawberry.subscription(
        description="Each open task assigned to the user, once, when its due date passes.",
    )
    async def task_due(self, info: Info, user_id: strawberry.ID) -> AsyncGenerator[Task, None]:
        user = str(parse_id(user_id, field="userId"))
        async for event in info.context.events("task.due"):
            if event.data.get("assigned_to_id") == user:
                row = await info.context.loaders.task_by_id.load(UUID(event.aggregate_id))
                if row is not None:
                    yield Task.from_row(row)
