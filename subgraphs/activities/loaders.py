"""Loaders over tasks, events and communications, and keyset pages of all three at once.

The feed is a UNION ALL of the three tables reduced to the columns pages need (kind, id,
created_at, occurred_at, related_type/related_id, assigned_to_id, is_pending), tenant-filtered
in each branch. A page is one statement over the feed returning (kind, id, sort value); the
rows themselves then come through the by-id loaders, so a page costs one feed statement plus
at most one statement per kind, whatever its size and however many parents share the batch.

occurred_at is when an activity happens: a task's due date (its creation time when it has
none), an event's start time, a communication's timestamp. is_pending marks what can still
come up: open tasks (PENDING, IN_PROGRESS) with a due date, and events.
"""

from __future__ import annotations

import asyncio
import base64
import json
from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from functools import cached_property
from typing import Any
from uuid import UUID

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    String,
    Subquery,
    Uuid,
    and_,
    case,
    cast,
    false,
    func,
    literal,
    null,
    or_,
    select,
    type_coerce,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession

from crmgraph.db import models
from crmgraph.db.filtering import Condition, compare
from crmgraph.db.pagination import Page, PageArgs, Sort, page_size
from crmgraph.db.scoping import Scope, scoped
from crmgraph.db.types import UTCDateTime
from crmgraph.errors import DomainError, ErrorCode
from crmgraph.loaders.base import Loader, LoaderBase

ActivityRow = models.Task | models.Event | models.Communication
KINDS = ("TASK", "EVENT", "COMMUNICATION")
OPEN_TASK_STATUSES = ("PENDING", "IN_PROGRESS")
SORT_COLUMNS = ("created_at", "occurred_at")


@dataclass(frozen=True)
class ActivitySpec:
    """Which activities: plain data, hashable, so it can be part of a loader key.

    conditions apply to the feed columns created_at, occurred_at and assigned_to_id;
    past_at keeps what occurred at or before it, pending_from what is pending at or after it.
    """

    kinds: tuple[str, ...] = KINDS
    related_types: tuple[str, ...] | None = None
    related_id: UUID | None = None
    conditions: tuple[Condition, ...] = field(default=())
    past_at: datetime | None = None
    pending_from: datetime | None = None


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


def feed(scope: Scope, kinds: tuple[str, ...] = KINDS) -> Subquery:
    """The tenant's activities of these kinds as one relation."""
    t, e, c = models.Task, models.Event, models.Communication
    no_user = cast(null(), Uuid)
    branches = {
        "TASK": _branch(
            t,
            "TASK",
            func.coalesce(t.due_date, t.created_at),
            t.assigned_to_id,
            case((and_(t.status.in_(OPEN_TASK_STATUSES), t.due_date.is_not(None)), 1), else_=0),
            scope,
        ),
        "EVENT": _branch(e, "EVENT", e.start_time, no_user, literal(1, Integer), scope),
        "COMMUNICATION": _branch(
            c, "COMMUNICATION", c.occurred_at, no_user, literal(0, Integer), scope
        ),
    }
    if set(kinds) - set(branches):
        raise DomainError(ErrorCode.VALIDATION_ERROR, "unknown activity kind", field="type")
    # No kind at all matches nothing (feed_predicates adds false()), like `in: []` elsewhere.
    chosen = [branches[k] for k in KINDS if k in kinds] or list(branches.values())
    return union_all(*chosen).subquery("activity_feed")


def _branch(
    model: type[models.Task | models.Event | models.Communication],
    kind: str,
    occurred: Any,
    assigned: Any,
    pending: Any,
    scope: Scope,
) -> Select[Any]:
    stmt = select(
        literal(kind, String(16)).label("kind"),
        model.id.label("id"),
        model.created_at.label("created_at"),
        type_coerce(occurred, UTCDateTime()).label("occurred_at"),
        model.related_type.label("related_type"),
        model.related_id.label("related_id"),
        assigned.label("assigned_to_id"),
        pending.label("is_pending"),
    )
    return scoped(stmt, model, scope)


def feed_predicates(sub: Subquery, spec: ActivitySpec) -> list[ColumnElement[bool]]:
    out: list[ColumnElement[bool]] = [] if spec.kinds else [false()]
    if spec.related_types is not None:
        out.append(sub.c.related_type.in_(spec.related_types))
    if spec.related_id is not None:
        out.append(sub.c.related_id == spec.related_id)
    out.extend(compare(sub.c[cond.column], cond.op, cond.value) for cond in spec.conditions)
    if spec.past_at is not None:
        out.append(sub.c.occurred_at <= spec.past_at)
    if spec.pending_from is not None:
        out.append(and_(sub.c.is_pending == 1, sub.c.occurred_at >= spec.pending_from))
    return out


def encode_cursor(sort: Sort, value: datetime, id_: UUID) -> str:
    raw = json.dumps(["activity", sort.column, value.isoformat(), str(id_)], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, sort: Sort, *, field: str) -> tuple[datetime, UUID]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        tag, column, value, id_ = json.loads(base64.urlsafe_b64decode(padded.encode()))
        parsed = datetime.fromisoformat(value)
        ids = UUID(id_)
    except (ValueError, TypeError) as exc:
        raise DomainError(ErrorCode.VALIDATION_ERROR, "invalid cursor", field=field) from exc
    if tag != "activity" or column != sort.column:
        raise DomainError(
            ErrorCode.VALIDATION_ERROR, "the cursor belongs to another list or order", field=field
        )
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)), ids


def _ordering(sub: Subquery, sort: Sort, forward: bool) -> tuple[Any, Any]:
    col = sub.c[sort.column]
    if sort.descending != forward:
        return col.asc(), sub.c.id.asc()
    return col.desc(), sub.c.id.desc()


def _between(sub: Subquery, sort: Sort, args: PageArgs) -> list[ColumnElement[bool]]:
    """Strictly after `after` and before `before` in the order (sort column, id)."""
    col, out = sub.c[sort.column], []
    for cursor, name, ascending in (
        (args.after, "after", not sort.descending),
        (args.before, "before", sort.descending),
    ):
        if cursor is None:
            continue
        value, id_ = decode_cursor(cursor, sort, field=name)
        if ascending:
            out.append(or_(col > value, and_(col == value, sub.c.id > id_)))
        else:
            out.append(or_(col < value, and_(col == value, sub.c.id < id_)))
    return out


def _check_sort(sort: Sort) -> None:
    if sort.column not in SORT_COLUMNS:
        raise DomainError(ErrorCode.VALIDATION_ERROR, "unsupported sort field", field="sort")


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
        _check_sort(sort)
        sub = feed(self._scope, spec.kinds)
        where = [*feed_predicates(sub, spec), *_between(sub, sort, args)]
        columns = (sub.c.kind, sub.c.id, sub.c[sort.column].label("value"), sub.c.related_id)
        order = _ordering(sub, sort, forward)
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


def occurred_at(row: ActivityRow) -> datetime:
    """When the activity happens, as the feed's occurred_at column computes it."""
    if isinstance(row, models.Task):
        return row.due_date or row.created_at
    if isinstance(row, models.Event):
        return row.start_time
    return row.occurred_at
