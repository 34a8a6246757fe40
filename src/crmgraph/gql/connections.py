"""Relay connections: PageInfo, Edge[T], Connection[T] and the pagination arguments."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

import strawberry
from strawberry.federation.schema_directives import Cost

from crmgraph.db.models import TenantRow
from crmgraph.db.pagination import Page, PageArgs
from crmgraph.errors import DomainError, ErrorCode

T = TypeVar("T")
M = TypeVar("M", bound=TenantRow)


# Connections, their edges and PageInfo only carry a page: the nodes are what the routers'
# cost limits count (crmgraph.gql.costs, router-config/limits.ts).
WEIGHTLESS = [Cost(weight=0)]


@strawberry.federation.type(
    shareable=True, description="Relay page information.", directives=WEIGHTLESS
)
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


@strawberry.type(directives=WEIGHTLESS)
class Edge(Generic[T]):
    node: T
    cursor: str


@strawberry.type(directives=WEIGHTLESS)
class Connection(Generic[T]):
    edges: list[Edge[T]]
    page_info: PageInfo
    count_total: strawberry.Private[Callable[[], Awaitable[int]]]

    @strawberry.field(description="Rows matching the filter, ignoring pagination.")
    async def total_count(self) -> int:
        return await self.count_total()


@strawberry.input(description="Cursor pagination, an alternative to first/after/last/before.")
class PaginationInput:
    first: int | None = None
    after: str | None = None
    last: int | None = None
    before: str | None = None


def page_args(
    first: int | None,
    after: str | None,
    last: int | None = None,
    before: str | None = None,
    pagination: PaginationInput | None = None,
) -> PageArgs:
    if pagination is not None:
        if any(v is not None for v in (first, after, last, before)):
            raise DomainError(
                ErrorCode.VALIDATION_ERROR,
                "use either pagination or first/after/last/before",
                field="pagination",
            )
        first, after = pagination.first, pagination.after
        last, before = pagination.last, pagination.before
    return PageArgs(first=first, after=after, last=last, before=before)


def to_connection(
    page: Page[M], node: Callable[[M], T], total: Callable[[], Awaitable[int]]
) -> Connection[T]:
    edges = [
        Edge(node=node(row), cursor=cursor)
        for row, cursor in zip(page.rows, page.cursors, strict=True)
    ]
    info = PageInfo(
        has_next_page=page.has_next,
        has_previous_page=page.has_previous,
        start_cursor=edges[0].cursor if edges else None,
        end_cursor=edges[-1].cursor if edges else None,
    )
    return Connection(edges=edges, page_info=info, count_total=total)
