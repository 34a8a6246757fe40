"""Query fields of the activities subgraph."""

from __future__ import annotations

import asyncio

import strawberry

from crmgraph.gql.context import Info
from crmgraph.gql.ids import parse_id
from subgraphs.activities.types import Activity, Event, Task


@strawberry.type
class Query:
    @strawberry.field(description="One task or event by id.")
    async def activity(self, info: Info, id: strawberry.ID) -> Activity | None:
        loaders = info.context.loaders
        key = parse_id(id)
        task, event = await asyncio.gather(
            loaders.task_by_id.load(key), loaders.event_by_id.load(key)
        )
        if task is not None:
            return Task.from_row(task)
        return None if event is None else Event.from_row(event)
