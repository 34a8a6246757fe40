"""Loaders over tasks, events and communications, and keyset pages of all three at once.

A page is one statement over the activity feed (subgraphs.activities.feed) returning (kind,
id, sort value); the rows themselves then come through the by-id loaders, so a page costs
one feed statement plus at most one statement per kind, whatever its size and however many
parents share the batch.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import cached_property
from typing import Any
from uuid import UUID

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from crmgraph.db import models
from crmgraph.db.pagination import Page, PageArgs, Sort, page_size
from crmgraph.domain.customer_health import accounts_health
from crmgraph.domain.health import HealthReport
from crmgraph.loaders.base import Loader, LoaderBase
from subgraphs.activities.feed import (
    ActivityRow,
    ActivitySpec,
    between,
    check_sort,
    encode_cursor,
    feed,
    feed_predicates,
    ordering,
)


@dataclass(frozen=True)
class RelatedPage:
    """Key of a page of the activities about one entity (related_types: what it may be)."""

    related_types: tuple[str, ...]
    parent: UUID
    args: PageArgs = PageArgs()
    spec: ActivitySpec = ActivitySpec()
    sort: Sort = Sort()


@dataclass(frozen=True)
class RelatedCount:
    related_types: tuple[str, ...]
    parent: UUID
    spec: ActivitySpec = ActivitySpec()


@dataclass(frozen=True)
class _Ref:
    kind: str
    id: UUID
    value: datetime


class ActivityLoaders(LoaderBase):
    @cached_property
    def task_by_id(self) -> Loader[UUID, models.Task | None]:
        return self.by_id(models.Task)

    @cached_property
    def event_by_id(self) -> Loader[UUID, models.Event | None]:
        return self.by_id(models.Event)

    @cached_property
    def communication_by_id(self) -> Loader[UUID, models.Communication | None]:
        return self.by_id(models.Communication)

    @cached_property
    def activity_now(self) -> datetime:
        """One "now" per request, so lastActivity/nextActivity of many parents share a batch."""
        return datetime.now(UTC)

    @cached_property
    def customer_health(self) -> Loader[tuple[UUID, int], HealthReport | None]:
        """Health of many accounts, by (account, trend months): one statement per kind of
        fact for each trend length asked, whatever the number of accounts."""

        async def batch(keys: list[tuple[UUID, int]]) -> list[HealthReport | None]:
            by_months: dict[int, list[UUID]] = defaultdict(list)
            for account, months in keys:
                by_months[months].append(account)
            found: dict[tuple[UUID, int], HealthReport] = {}
            async with self._sessions() as session:
                for months, accounts in by_months.items():
                    reports = await accounts_health(
                        session, self._scope, accounts, now=self.activity_now, months=months
                    )
                    found.update({(id_, months): r for id_, r in reports.items()})
            return [found.get(key) for key in keys]

        return Loader(batch)

    @cached_property
    def activities_by_related(self) -> Loader[RelatedPage, Page[ActivityRow]]:
        """Pages for many parents: one window-function statement per page shape."""

        async def batch(keys: list[RelatedPage]) -> list[Page[ActivityRow]]:
            shapes: dict[tuple[Any, ...], list[UUID]] = defaultdict(list)
            for key in keys:
                shapes[(key.related_types, key.args, key.spec, key.sort)].append(key.parent)
            refs: dict[RelatedPage, tuple[list[_Ref], int, bool]] = {}
            async with self._sessions() as session:
                for (types, args, spec, sort), parents in shapes.items():
                    size, forward = page_size(args, self._max_page_size)
                    spec_for = replace(spec, related_types=types)
                    found = await self._refs(session, spec_for, parents, args, sort, size, forward)
                    for parent in parents:
                        key = RelatedPage(types, parent, args, spec, sort)
                        refs[key] = (found.get(parent, []), size, forward)
            rows = await self._rows([ref for found, _, _ in refs.values() for ref in found])
            return [self._page(*refs[key], key.args, key.sort, rows) for key in keys]

        return Loader(batch)

    @cached_property
    def activity_count_by_related(self) -> Loader[RelatedCount, int]:
        async def batch(keys: list[RelatedCount]) -> list[int]:
            shapes: dict[tuple[tuple[str, ...], ActivitySpec], list[UUID]] = defaultdict(list)
            for key in keys:
                shapes[(key.related_types, key.spec)].append(key.parent)
            counts: dict[RelatedCount, int] = {}
            async with self._sessions() as session:
                for (types, spec), parents in shapes.items():
                    sub = feed(self._scope, spec.kinds)
                    stmt = (
                        select(sub.c.related_id, func.count())
                        .where(
                            sub.c.related_type.in_(types),
                            sub.c.related_id.in_(parents),
                            *feed_predicates(sub, spec),
                        )
                        .group_by(sub.c.related_id)
                    )
                    for parent, n in await session.execute(stmt):
                        counts[RelatedCount(types, parent, spec)] = int(n)
            return [counts.get(key, 0) for key in keys]

        return Loader(batch)

    async def activity_page(
        self, args: PageArgs, spec: ActivitySpec, sort: Sort
    ) -> Page[ActivityRow]:
        """A page of the whole tenant's activities (the root `activities` list)."""
        size, forward = page_size(args, self._max_page_size)
        async with self._sessions() as session:
            found = await self._refs(session, spec, None, args, sort, size, forward)
        refs = found.get(None, [])
        return self._page(refs, size, forward, args, sort, await self._rows(refs))

    async def activity_count(self, spec: ActivitySpec) -> int:
        sub = feed(self._scope, spec.kinds)
        stmt = select(func.count()).select_from(sub).where(*feed_predicates(sub, spec))
        async with self._sessions() as session:
            return int(await session.scalar(stmt) or 0)

    async def _refs(
        self,
        session: AsyncSession,
        spec: ActivitySpec,
        parents: list[UUID] | None,
        args: PageArgs,
        sort: Sort,
        size: int,
        forward: bool,
    ) -> dict[UUID | None, list[_Ref]]:
        """Up to size+1 (kind, id, sort value) per parent, in the direction of travel."""
        check_sort(sort)
        sub = feed(self._scope, spec.kinds)
        where = [*feed_predicates(sub, spec), *between(sub, sort, args)]
        columns = (sub.c.kind, sub.c.id, sub.c[sort.column].label("value"), sub.c.related_id)
        order = ordering(sub, sort, forward)
        result: Any
        if parents is None:
            stmt = select(*columns).where(*where).order_by(*order).limit(size + 1)
            result = await session.execute(stmt)
            return {None: [_Ref(r.kind, r.id, r.value) for r in result]}
        rank = func.row_number().over(partition_by=sub.c.related_id, order_by=order)
        inner = (
            select(*columns, rank.label("rank"))
            .where(sub.c.related_id.in_(parents), *where)
            .subquery()
        )
        stmt = select(inner).where(inner.c.rank <= size + 1).order_by(inner.c.rank)
        grouped: dict[UUID | None, list[_Ref]] = defaultdict(list)
        for r in await session.execute(stmt):
            grouped[r.related_id].append(_Ref(r.kind, r.id, r.value))
        return grouped

    async def _rows(self, refs: list[_Ref]) -> dict[UUID, ActivityRow]:
        """The rows behind refs, through the by-id loaders (one statement per kind)."""
        by_kind: dict[str, list[UUID]] = defaultdict(list)
        for ref in refs:
            by_kind[ref.kind].append(ref.id)
        tasks, events, communications = await asyncio.gather(
            self.task_by_id.load_many(by_kind["TASK"]),
            self.event_by_id.load_many(by_kind["EVENT"]),
            self.communication_by_id.load_many(by_kind["COMMUNICATION"]),
        )
        found: list[ActivityRow | None] = [*tasks, *events, *communications]
        return {row.id: row for row in found if row is not None}

    @staticmethod
    def _page(
        refs: list[_Ref],
        size: int,
        forward: bool,
        args: PageArgs,
        sort: Sort,
        rows: dict[UUID, ActivityRow],
    ) -> Page[ActivityRow]:
        more = len(refs) > size
        refs = refs[:size]
        if not forward:
            refs.reverse()
        # A row deleted between the two statements is left out rather than failing the page.
        kept = [ref for ref in refs if ref.id in rows]
        cursors = [encode_cursor(sort, ref.value, ref.id) for ref in kept]
        page_rows = [rows[ref.id] for ref in kept]
        if forward:
            return Page(page_rows, cursors, has_next=more, has_previous=args.after is not None)
        return Page(page_rows, cursors, has_next=args.before is not None, has_previous=more)
