"""Per-request dataloaders: each batch is one tenant-filtered statement, results in key order."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable, Hashable, Sequence
from functools import cached_property
from typing import Any, Generic, TypeVar, cast
from uuid import UUID

from aiodataloader import DataLoader
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import InstrumentedAttribute, aliased

from crmgraph.db import models
from crmgraph.db.pagination import Page, PageArgs, between_cursors, ordering, page_size, to_page
from crmgraph.db.scoping import Scope, scoped

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
M = TypeVar("M", bound=models.TenantRow)

ParentPage = tuple[UUID, PageArgs]


class Loader(Generic[K, V]):
    """A typed face on aiodataloader: loads of one event-loop tick become one batch call."""

    def __init__(self, batch: Callable[[list[K]], Awaitable[list[V]]]) -> None:
        self._loader: Any = DataLoader(batch_load_fn=cast(Any, batch))

    async def load(self, key: K) -> V:
        result: V = await self._loader.load(key)
        return result

    async def load_many(self, keys: Sequence[K]) -> list[V]:
        result: list[V] = await self._loader.load_many(keys)
        return result


class Loaders:
    """The loaders of one request; their caches die with it."""

    def __init__(
        self, session_factory: async_sessionmaker[AsyncSession], scope: Scope, max_page_size: int
    ) -> None:
        self._sessions = session_factory
        self._scope = scope
        self._max_page_size = max_page_size

    # by id
    @cached_property
    def account_by_id(self) -> Loader[UUID, models.Account | None]:
        return self._by_id(models.Account)

    @cached_property
    def contact_by_id(self) -> Loader[UUID, models.Contact | None]:
        return self._by_id(models.Contact)

    @cached_property
    def deal_by_id(self) -> Loader[UUID, models.Deal | None]:
        return self._by_id(models.Deal)

    @cached_property
    def lead_by_id(self) -> Loader[UUID, models.Lead | None]:
        return self._by_id(models.Lead)

    @cached_property
    def pipeline_by_id(self) -> Loader[UUID, models.Pipeline | None]:
        return self._by_id(models.Pipeline)

    @cached_property
    def stage_by_id(self) -> Loader[UUID, models.PipelineStage | None]:
        return self._by_id(models.PipelineStage)

    @cached_property
    def task_by_id(self) -> Loader[UUID, models.Task | None]:
        return self._by_id(models.Task)

    @cached_property
    def event_by_id(self) -> Loader[UUID, models.Event | None]:
        return self._by_id(models.Event)

    @cached_property
    def communication_by_id(self) -> Loader[UUID, models.Communication | None]:
        return self._by_id(models.Communication)

    # children, whole lists (small, bounded sets)
    @cached_property
    def stages_by_pipeline(self) -> Loader[UUID, list[models.PipelineStage]]:
        st = models.PipelineStage
        return self._all_by(st, st.pipeline_id, order=(st.position,))

    @cached_property
    def child_accounts_by_parent(self) -> Loader[UUID, list[models.Account]]:
        acc = models.Account
        return self._all_by(acc, acc.parent_account_id, order=(acc.name, acc.id))

    # children, paginated
    @cached_property
    def contacts_by_account(self) -> Loader[ParentPage, Page[models.Contact]]:
        return self._page_by(models.Contact, models.Contact.account_id)

    @cached_property
    def deals_by_account(self) -> Loader[ParentPage, Page[models.Deal]]:
        return self._page_by(models.Deal, models.Deal.account_id)

    @cached_property
    def deals_by_contact(self) -> Loader[ParentPage, Page[models.Deal]]:
        return self._page_by(models.Deal, models.Deal.contact_id)

    @cached_property
    def contact_count_by_account(self) -> Loader[UUID, int]:
        return self._count_by(models.Contact, models.Contact.account_id)

    @cached_property
    def deal_count_by_account(self) -> Loader[UUID, int]:
        return self._count_by(models.Deal, models.Deal.account_id)

    @cached_property
    def deal_count_by_contact(self) -> Loader[UUID, int]:
        return self._count_by(models.Deal, models.Deal.contact_id)

    # builders
    def _by_id(self, model: type[M]) -> Loader[UUID, M | None]:
        async def batch(ids: list[UUID]) -> list[M | None]:
            stmt = scoped(select(model).where(model.id.in_(ids)), model, self._scope)
            async with self._sessions() as session:
                found = {row.id: row for row in await session.scalars(stmt)}
            return [found.get(id_) for id_ in ids]

        return Loader(batch)

    def _all_by(
        self, model: type[M], fk: InstrumentedAttribute[Any], *, order: tuple[Any, ...]
    ) -> Loader[UUID, list[M]]:
        async def batch(parents: list[UUID]) -> list[list[M]]:
            stmt = scoped(select(model).where(fk.in_(parents)), model, self._scope)
            grouped: dict[UUID, list[M]] = defaultdict(list)
            async with self._sessions() as session:
                for row in await session.scalars(stmt.order_by(*order)):
                    grouped[getattr(row, fk.key)].append(row)
            return [grouped.get(parent, []) for parent in parents]

        return Loader(batch)

    def _count_by(self, model: type[M], fk: InstrumentedAttribute[Any]) -> Loader[UUID, int]:
        async def batch(parents: list[UUID]) -> list[int]:
            stmt = scoped(
                select(fk, func.count()).where(fk.in_(parents)).group_by(fk), model, self._scope
            )
            async with self._sessions() as session:
                counts = {parent: int(n) for parent, n in await session.execute(stmt)}
            return [counts.get(parent, 0) for parent in parents]

        return Loader(batch)

    def _page_by(
        self, model: type[M], fk: InstrumentedAttribute[Any]
    ) -> Loader[ParentPage, Page[M]]:
        """Pages of children for many parents: one window-function statement per page shape."""

        async def batch(keys: list[ParentPage]) -> list[Page[M]]:
            by_args: dict[PageArgs, list[UUID]] = defaultdict(list)
            for parent, args in keys:
                by_args[args].append(parent)
            pages: dict[ParentPage, Page[M]] = {}
            async with self._sessions() as session:
                for args, parents in by_args.items():
                    for parent, page in await self._pages(session, model, fk, parents, args):
                        pages[(parent, args)] = page
            return [pages[key] for key in keys]

        return Loader(batch)

    async def _pages(
        self,
        session: AsyncSession,
        model: type[M],
        fk: InstrumentedAttribute[Any],
        parents: list[UUID],
        args: PageArgs,
    ) -> list[tuple[UUID, Page[M]]]:
        size, forward = page_size(args, self._max_page_size)
        rank = func.row_number().over(partition_by=fk, order_by=ordering(model, forward))
        inner = scoped(select(model, rank.label("rank")).where(fk.in_(parents)), model, self._scope)
        sub = between_cursors(inner, model, args).subquery()
        row = aliased(model, sub)
        stmt = select(row).where(sub.c.rank <= size + 1).order_by(sub.c.rank)
        grouped: dict[UUID, list[M]] = defaultdict(list)
        for found in await session.scalars(stmt):
            grouped[getattr(found, fk.key)].append(found)
        return [
            (parent, to_page(grouped.get(parent, []), size, forward, args)) for parent in parents
        ]
