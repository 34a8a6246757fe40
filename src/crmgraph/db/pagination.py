"""Keyset pagination over (created_at, id): cursors stay valid when rows are inserted."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar
from uuid import UUID

from sqlalchemy import Select, func, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from crmgraph.db.models import TenantRow
from crmgraph.errors import DomainError, ErrorCode

M = TypeVar("M", bound=TenantRow)
DEFAULT_PAGE_SIZE = 20


@dataclass(frozen=True)
class PageArgs:
    first: int | None = None
    after: str | None = None
    last: int | None = None
    before: str | None = None


@dataclass(frozen=True)
class Page(Generic[M]):
    rows: list[M]
    has_next: bool
    has_previous: bool


def encode_cursor(row: TenantRow) -> str:
    raw = json.dumps([row.created_at.isoformat(), str(row.id)], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, *, field: str) -> tuple[datetime, UUID]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        created, id_ = json.loads(base64.urlsafe_b64decode(padded.encode()))
        return datetime.fromisoformat(created), UUID(id_)
    except (ValueError, TypeError) as exc:
        raise DomainError(ErrorCode.VALIDATION_ERROR, "invalid cursor", field=field) from exc


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


def between_cursors(stmt: Select[Any], model: type[TenantRow], args: PageArgs) -> Select[Any]:
    """stmt narrowed to the rows strictly after `after` and before `before`."""
    key = tuple_(model.created_at, model.id)
    if args.after is not None:
        stmt = stmt.where(key > tuple_(*decode_cursor(args.after, field="after")))
    if args.before is not None:
        stmt = stmt.where(key < tuple_(*decode_cursor(args.before, field="before")))
    return stmt


def ordering(model: type[TenantRow], forward: bool) -> tuple[Any, Any]:
    if forward:
        return model.created_at.asc(), model.id.asc()
    return model.created_at.desc(), model.id.desc()


def keyset(stmt: Select[Any], model: type[M], args: PageArgs, forward: bool) -> Select[Any]:
    return between_cursors(stmt, model, args).order_by(*ordering(model, forward))


def to_page(rows: list[M], size: int, forward: bool, args: PageArgs) -> Page[M]:
    """The page from up to size+1 rows fetched in the direction of travel."""
    more = len(rows) > size
    rows = rows[:size]
    if forward:
        return Page(rows=rows, has_next=more, has_previous=args.after is not None)
    rows.reverse()
    return Page(rows=rows, has_next=args.before is not None, has_previous=more)


async def fetch_page(
    session: AsyncSession, stmt: Select[M], model: type[M], args: PageArgs, max_size: int
) -> Page[M]:
    size, forward = page_size(args, max_size)
    rows = list((await session.scalars(keyset(stmt, model, args, forward).limit(size + 1))).all())
    return to_page(rows, size, forward, args)


async def count(session: AsyncSession, stmt: Select[Any]) -> int:
    total = await session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    return int(total or 0)
