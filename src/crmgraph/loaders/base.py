"""Loader building blocks: each batch is one statement kept to what the caller may read
(crmgraph.db.scoping.visible), results in key order."""

from __future__ import annotations

import asyncio
import enum
from collections import defaultdict
from collections.abc import Awaitable, Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, cast
from uuid import UUID

from aiodataloader import DataLoader
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import InstrumentedAttribute, aliased

from crmgraph.db import models
from crmgraph.db.filtering import Filter, predicates
from crmgraph.db.pagination import (
    Page,
    PageArgs,
    Sort,
    between_cursors,
    ordering,
    page_size,
    to_page,
)
from crmgraph.db.scoping import Scope, scoped, visible

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
T = TypeVar("T")
M = TypeVar("M", bound=models.TenantRow)


@dataclass(frozen=True)
class ChildPage:
    """Key of a paginated child list: the parent, the page, and optional filter and sort."""

    parent: UUID
    args: PageArgs = PageArgs()
    filter: Filter = Filter()
    sort: Sort = Sort()


class Missing(enum.Enum):
    MISSING = "missing"


MISSING = Missing.MISSING


class Loader(Generic[K, V]):
    """A typed face on aiodataloader: loads of one event-loop tick become one batch call."""

    def __init__(self, batch: Callable[[list[K]], Awaitable[list[V]]]) -> None:
        # Our own cache map (a public argument), so peek() reads what was loaded without
        # touching the loader's private attributes.
        self._cache: dict[K, asyncio.Future[V]] = {}
        self._loader: Any = DataLoader(batch_load_fn=cast(Any, batch), cache_map=self._cache)

    async def load(self, key: K) -> V:
        result: V = await self._loader.load(key)
        return result

    async def load_many(self, keys: Sequence[K]) -> list[V]:
        result: list[V] = await self._loader.load_many(keys)
        return result

    def prime(self, key: K, value: V) -> None:
        """Hand the loader a value this request has already read (e.g. a mutation, inside
        its transaction), so that resolvers of the answer need no query for it."""
        self._loader.prime(key, value)

    def peek(self, key: K) -> V | Missing:
        """The value for key if this loader has already loaded it, else MISSING: lets a
        resolver answer without an await when a list resolver prefetched with load_many."""
        future = self._cache.get(key)
        if future is None or not future.done() or future.cancelled() or future.exception():
            return MISSING
        value: V = future.result()
        return value

    def now_or_later(self, key: K, read: Callable[[V], T]) -> T:
        """read(value of key): at once when this loader already holds it, else an awaitable
        of it. For a resolver of a field in a list: a synchronous answer spares graphql-core a
        task per item, and graphql-core awaits the awaitable like an async resolver's (so it
        is typed as the value: Strawberry reads the field's type from the annotation)."""
        value = self.peek(key)
        if value is MISSING:
            return cast(T, self._read_later(key, read))
        return read(value)

    async def _read_later(self, key: K, read: Callable[[V], T]) -> T:
        return read(await self.load(key))


class LoaderBase:
    """Builders shared by the loader groups; subclasses declare cached_property loaders."""

    def __init__(
        self, session_factory: async_sessionmaker[AsyncSession], scope: Scope, max_page_size: int
    ) -> None:
        self._sessions = session_factory
        self._scope = scope
        self._max_page_size = max_page_size

    def by_id(self, model: type[M], *, by_owner: bool = True) -> Loader[UUID, M | None]:
        """by_owner=False: every row of the tenant, whatever the level of the caller's read
        (users named by rows the caller may read: a deal's owner)."""
        keep = visible if by_owner else scoped

        async def batch(ids: list[UUID]) -> list[M | None]:
            stmt = keep(select(model).where(model.id.in_(ids)), model, self._scope)
            async with self._sessions() as session:
                found = {row.id: row for row in await session.scalars(stmt)}
            return [found.get(id_) for id_ in ids]

        return Loader(batch)

    def all_by(
        self, model: type[M], fk: InstrumentedAttribute[Any], *, order: tuple[Any, ...], limit: int
    ) -> Loader[UUID, list[M]]:
        """The first `limit` children of each parent in `order` (a bound from
        crmgraph.domain.bounds, which the router's cost limit prices the list by)."""

        async def batch(parents: list[UUID]) -> list[list[M]]:
            rank = func.row_number().over(partition_by=fk, order_by=order)
            inner = visible(select(model, rank.label("rank")), model, self._scope)
            sub = inner.where(fk.in_(parents)).subquery()
            stmt = select(aliased(model, sub)).where(sub.c.rank <= limit).order_by(sub.c.rank)
            grouped: dict[UUID, list[M]] = defaultdict(list)
            async with self._sessions() as session:
                for row in await session.scalars(stmt):
                    grouped[getattr(row, fk.key)].append(row)
            return [grouped.get(parent, []) for parent in parents]

        return Loader(batch)

    def aggregate_by(
        self, model: type[M], fk: InstrumentedAttribute[Any], *values: Any
    ) -> Loader[tuple[UUID, Filter], tuple[Any, ...]]:
        """Per parent and filter: the aggregate expressions `values` (e.g. count, sum)."""

        async def batch(keys: list[tuple[UUID, Filter]]) -> list[tuple[Any, ...]]:
            by_filter: dict[Filter, list[UUID]] = defaultdict(list)
            for parent, spec in keys:
                by_filter[spec].append(parent)
            found: dict[tuple[UUID, Filter], tuple[Any, ...]] = {}
            async with self._sessions() as session:
                for spec, parents in by_filter.items():
                    stmt = visible(select(fk, *values), model, self._scope).where(
                        fk.in_(parents), *predicates(model, spec, self._scope)
                    )
                    for row in await session.execute(stmt.group_by(fk)):
                        found[(row[0], spec)] = tuple(row[1:])
            empty = tuple(None for _ in values)
            return [found.get(key, empty) for key in keys]

        return Loader(batch)

    def count_by(
        self, model: type[M], fk: InstrumentedAttribute[Any]
    ) -> Loader[tuple[UUID, Filter], int]:
        counts = self.aggregate_by(model, fk, func.count())

        async def batch(keys: list[tuple[UUID, Filter]]) -> list[int]:
            return [int(found[0] or 0) for found in await counts.load_many(keys)]

        return Loader(batch)

    def page_by(self, model: type[M], fk: InstrumentedAttribute[Any]) -> Loader[ChildPage, Page[M]]:
        """Pages of children for many parents: one window-function statement per page shape."""

        async def batch(keys: list[ChildPage]) -> list[Page[M]]:
            shapes: dict[tuple[PageArgs, Filter, Sort], list[UUID]] = defaultdict(list)
            for key in keys:
                shapes[(key.args, key.filter, key.sort)].append(key.parent)
            pages: dict[ChildPage, Page[M]] = {}
            async with self._sessions() as session:
                for (args, spec, sort), parents in shapes.items():
                    found = await self._pages(session, model, fk, parents, args, spec, sort)
                    for parent, page in found:
                        pages[ChildPage(parent, args, spec, sort)] = page
            return [pages[key] for key in keys]

        return Loader(batch)

    async def _pages(
        self,
        session: AsyncSession,
        model: type[M],
        fk: InstrumentedAttribute[Any],
        parents: list[UUID],
        args: PageArgs,
        spec: Filter,
        sort: Sort,
    ) -> list[tuple[UUID, Page[M]]]:
        size, forward = page_size(args, self._max_page_size)
        rank = func.row_number().over(partition_by=fk, order_by=ordering(model, sort, forward))
        inner = visible(select(model, rank.label("rank")), model, self._scope).where(
            fk.in_(parents), *predicates(model, spec, self._scope)
        )
        sub = between_cursors(inner, model, sort, args).subquery()
        row = aliased(model, sub)
        stmt = select(row).where(sub.c.rank <= size + 1).order_by(sub.c.rank)
        grouped: dict[UUID, list[M]] = defaultdict(list)
        for found in await session.scalars(stmt):
            grouped[getattr(found, fk.key)].append(found)
        return [
            (parent, to_page(grouped.get(parent, []), size, forward, args, sort))
            for parent in parents
        ]
