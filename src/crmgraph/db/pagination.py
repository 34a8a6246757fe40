"""Keyset pagination over (sort column, id): cursors stay valid when rows are inserted.

Ordering puts NULLs after every value in ascending order and before them in descending
order (PostgreSQL's default, spelled out so SQLite agrees). The id breaks ties, so the
order is total and every row is visited exactly once.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Generic, TypeVar
from uuid import UUID

from sqlalchemy import ColumnElement, Select, and_, func, literal, or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from crmgraph.db.filtering import column
from crmgraph.db.models import TenantRow
from crmgraph.errors import DomainError, ErrorCode

M = TypeVar("M", bound=TenantRow)
DEFAULT_PAGE_SIZE = 20


@dataclass(frozen=True)
class Sort:
    column: str = "created_at"
    descending: bool = False


@dataclass(frozen=True)
class PageArgs:
    first: int | None = None
    after: str | None = None
    last: int | None = None
    before: str | None = None


@dataclass(frozen=True)
class Page(Generic[M]):
    rows: list[M]
    cursors: list[str]
    has_next: bool
    has_previous: bool


def encode_cursor(row: TenantRow, sort: Sort) -> str:
    return cursor_of(sort, getattr(row, sort.column), row.id)


def cursor_of(sort: Sort, value: object, id_: UUID) -> str:
    """The cursor of a row whose sort column holds value: for reads that select columns,
    not whole rows."""
    raw = json.dumps([sort.column, _dump(value), str(id_)], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(
    cursor: str, sort: Sort, model: type[TenantRow], *, field: str
) -> tuple[Any, UUID]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        name, value, id_ = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if name != sort.column:
            raise DomainError(
                ErrorCode.VALIDATION_ERROR, "the cursor belongs to another sort order", field=field
            )
        return _load(value, column(model, name).type.python_type), UUID(id_)
    except (ValueError, TypeError, AttributeError, NotImplementedError) as exc:
        raise DomainError(ErrorCode.VALIDATION_ERROR, "invalid cursor", field=field) from exc


def _dump(value: object) -> object:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Decimal | UUID):
        return str(value)
    return value


def _load(value: object, python_type: type) -> object:
    if value is None:
        return None
    if python_type is datetime:
        return datetime.fromisoformat(str(value))
    if python_type in (Decimal, UUID, int, float, str):
        return python_type(str(value))
    raise ValueError("unsupported sort column type")


def page_size(args: PageArgs, max_size: int) -> tuple[int, bool]:
    """(size, forward). Forward unless only last/before are given."""
    if args.first is not None and args.last is not None:
        raise DomainError(ErrorCode.VALIDATION_ERROR, "pass first or last, not both", field="last")
    forward = args.last is None and (args.before is None or args.first is not None)
    size = args.first if forward else args.last
    name = "first" if forward else "last"
    size = DEFAULT_PAGE_SIZE if size is None else size
    if size < 0 or size > max_size:
        raise DomainError(
            ErrorCode.VALIDATION_ERROR, f"{name} must be between 0 and {max_size}", field=name
        )
    return size, forward


def ordering(model: type[TenantRow], sort: Sort, forward: bool) -> tuple[Any, Any]:
    """ORDER BY for travelling forward (the sort) or backward (its reverse)."""
    col, ascending = column(model, sort.column), sort.descending != forward
    if ascending:
        return col.asc().nulls_last(), model.id.asc()
    return col.desc().nulls_first(), model.id.desc()


def _beyond(
    model: type[TenantRow], sort: Sort, value: Any, id_: UUID, ascending: bool
) -> ColumnElement[bool]:
    """Rows strictly past (value, id) in the order (sort column, id) ascending or not."""
    col = column(model, sort.column)
    if value is not None and not col.expression.nullable:
        # A row-value comparison: PostgreSQL starts its index scan at the cursor, where the
        # OR form below reads every row before it, so each page of a long walk (an export)
        # cost more than the last.
        # The values bound as the columns' own types, as a plain comparison binds them.
        at = tuple_(literal(value, col.type), literal(id_, model.id.type))
        pair = tuple_(col, model.id)
        return pair > at if ascending else pair < at
    if ascending:  # NULLS LAST
        if value is None:
            return and_(col.is_(None), model.id > id_)
        return or_(col > value, and_(col == value, model.id > id_), col.is_(None))
    if value is None:  # DESC NULLS FIRST
        return or_(and_(col.is_(None), model.id < id_), col.is_not(None))
    return or_(col < value, and_(col == value, model.id < id_))


def between_cursors(
    stmt: Select[Any], model: type[TenantRow], sort: Sort, args: PageArgs
) -> Select[Any]:
    """stmt narrowed to the rows strictly after `after` and before `before`."""
    if args.after is not None:
        value, id_ = decode_cursor(args.after, sort, model, field="after")
        stmt = stmt.where(_beyond(model, sort, value, id_, ascending=not sort.descending))
    if args.before is not None:
        value, id_ = decode_cursor(args.before, sort, model, field="before")
        stmt = stmt.where(_beyond(model, sort, value, id_, ascending=sort.descending))
    return stmt


def to_page(rows: list[M], size: int, forward: bool, args: PageArgs, sort: Sort) -> Page[M]:
    """The page from up to size+1 rows fetched in the direction of travel."""
    more = len(rows) > size
    rows = rows[:size]
    if not forward:
        rows.reverse()
    cursors = [encode_cursor(row, sort) for row in rows]
    if forward:
        return Page(rows, cursors, has_next=more, has_previous=args.after is not None)
    return Page(rows, cursors, has_next=args.before is not None, has_previous=more)


async def fetch_page(
    session: AsyncSession,
    stmt: Select[M],
    model: type[M],
    args: PageArgs,
    max_size: int,
    sort: Sort = Sort(),
) -> Page[M]:
    size, forward = page_size(args, max_size)
    query = between_cursors(stmt, model, sort, args).order_by(*ordering(model, sort, forward))
    rows = list((await session.scalars(query.limit(size + 1))).all())
    return to_page(rows, size, forward, args, sort)


async def count(session: AsyncSession, stmt: Select[Any]) -> int:
    total = await session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    return int(total or 0)
