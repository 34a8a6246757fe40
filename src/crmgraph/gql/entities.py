"""Resolving the router's `_entities` representations a whole list at a time.

An entity type may define `resolve_references(cls, info, ids) -> list[T | None]` beside
`resolve_reference`; crmgraph.gql.schema then resolves all representations of that type with
one await (one loader batch) and hands graphql-core plain objects. Resolving them one by one
made graphql-core wrap each in a task of its own, most of a subgraph's CPU on a 50-item page.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar
from uuid import UUID

from crmgraph.gql.ids import uuid_or_none
from crmgraph.loaders import Loader

Row = TypeVar("Row")
T = TypeVar("T")


async def by_ids(
    loader: Loader[UUID, Row | None], ids: Sequence[Any], build: Callable[[Row], T]
) -> list[T | None]:
    """build(row) for each id, None where the id names no row of the caller's tenant (or is
    not an id at all: such a representation cannot name an entity)."""
    parsed = [uuid_or_none(i) for i in ids]
    rows = await loader.load_many([p for p in parsed if p is not None])
    found = iter(rows)
    return [None if p is None or (row := next(found)) is None else build(row) for p in parsed]
