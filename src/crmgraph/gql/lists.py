"""Root list fields: one scoped, filtered, keyset-paginated statement plus a lazy count."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

from sqlalchemy import select

from crmgraph.db.filtering import Filter, predicates
from crmgraph.db.models import TenantRow
from crmgraph.db.pagination import PageArgs, Sort, count, fetch_page
from crmgraph.db.scoping import scoped, visible
from crmgraph.gql.connections import Connection, to_connection
from crmgraph.gql.context import Context

T = TypeVar("T")
M = TypeVar("M", bound=TenantRow)


async def root_connection(
    context: Context,
    model: type[M],
    node: Callable[[M], T],
    args: PageArgs,
    spec: Filter = Filter(),
    sort: Sort = Sort(),
    prefetch: Callable[[Sequence[M]], Awaitable[object]] | None = None,
) -> Connection[T]:
    """prefetch(rows): loads what every node's fields will ask for, in one batch, before the
    nodes resolve (see crmgraph.loaders.base.Loader.peek)."""
    scope = context.scope
    stmt = visible(select(model), model, scope).where(*predicates(model, spec, scope))
    max_size = context.runtime.settings.max_page_size
    async with context.session() as session:
        page = await fetch_page(session, stmt, model, args, max_size, sort)
    if prefetch is not None:
        await prefetch(page.rows)

    async def total() -> int:
        async with context.session() as session:
            return await count(session, stmt)

    return to_connection(page, node, total)


async def root_list(
    context: Context, model: type[M], node: Callable[[M], T], *order_by: Any, limit: int
) -> list[T]:
    """The first `limit` rows of model in the caller's tenant (pipelines): a bound from
    crmgraph.domain.bounds, which the router's cost limit prices the list by."""
    stmt = scoped(select(model), model, context.scope).order_by(*order_by).limit(limit)
    async with context.session() as session:
        return [node(row) for row in await session.scalars(stmt)]
