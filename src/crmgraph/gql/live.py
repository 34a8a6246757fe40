"""The shape of an `<entity>Updated` subscription: an entity as it is after each change."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from typing import TYPE_CHECKING, TypeVar
from uuid import UUID

from crmgraph.events.bus import BusEvent
from crmgraph.gql.context import Info
from crmgraph.loaders import Loader

if TYPE_CHECKING:
    from subgraphs.loaders import Loaders

R = TypeVar("R")


async def changed_rows(
    info: Info,
    topics: Sequence[str],
    loader: Callable[[Loaders], Loader[UUID, R | None]],
    keep: Callable[[BusEvent], bool],
) -> AsyncIterator[R]:
    """The row each event on topics that keep accepts is about, read afresh (each event
    comes with fresh loaders, so loader picks one from them); rows deleted since are left
    out. Events reach here already scoped and permission-checked (Context.events)."""
    async for event in info.context.events(*topics):
        if not keep(event):
            continue
        row = await loader(info.context.loaders).load(UUID(event.aggregate_id))
        if row is not None:  # deleted since
            yield row
