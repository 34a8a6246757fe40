"""Cursor pagination of a list computed in memory (a customer journey, an attribution
group's journeys), with the arguments, limits and errors of the keyset connections
(crmgraph.db.pagination): an item's cursor holds its sort key, so a cursor stays valid when
items are added before or after it."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Sequence
from typing import TypeVar

from crmgraph.db.pagination import PageArgs, page_size
from crmgraph.errors import DomainError, ErrorCode
from crmgraph.gql.connections import Connection, Edge, PageInfo

T = TypeVar("T")
N = TypeVar("N")


def _cursor(name: str, key: str) -> str:
    raw = json.dumps([name, key], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _key(cursor: str, name: str, *, field: str) -> str:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        kind, key = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, TypeError) as exc:
        raise DomainError(ErrorCode.VALIDATION_ERROR, "invalid cursor", field=field) from exc
    if kind != name or not isinstance(key, str):
        raise DomainError(ErrorCode.VALIDATION_ERROR, "the cursor belongs to another list",
                          field=field)  # fmt: skip
    return key


def memory_connection(
    items: Sequence[T],
    key: Callable[[T], str],
    node: Callable[[T], N],
    args: PageArgs,
    max_size: int,
    *,
    name: str,
) -> Connection[N]:
    """A page of items, which are in ascending order of key (a unique string that sorts as
    the items do); name tells this list's cursors from others'."""
    size, forward = page_size(args, max_size)
    keyed = [(key(item), item) for item in items]
    if args.after is not None:
        after = _key(args.after, name, field="after")
        keyed = [(k, i) for k, i in keyed if k > after]
    if args.before is not None:
        before = _key(args.before, name, field="before")
        keyed = [(k, i) for k, i in keyed if k < before]
    window = keyed[:size] if forward else keyed[max(len(keyed) - size, 0) :]
    more = len(keyed) > size
    edges = [Edge(node=node(item), cursor=_cursor(name, k)) for k, item in window]
    info = PageInfo(
        has_next_page=more if forward else args.before is not None,
        has_previous_page=args.after is not None if forward else more,
        start_cursor=edges[0].cursor if edges else None,
        end_cursor=edges[-1].cursor if edges else None,
    )
    total = len(items)

    async def count() -> int:
        return total

    return Connection(edges=edges, page_info=info, count_total=count)
