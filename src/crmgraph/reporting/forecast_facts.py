"""Reads the forecast of a pipeline (crmgraph.reporting.forecast): one grouped statement for
the amounts, one windowed statement for every list of the deals behind them."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import (
    CTE,
    ColumnElement,
    Integer,
    Select,
    and_,
    case,
    func,
    literal_column,
    or_,
    select,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession

from crmgraph.db import models
from crmgraph.db.scoping import Scope, scoped
from crmgraph.reporting.forecast import BEST_CASE_FROM, COMMIT_FROM, Category, Row

D = models.Deal
# The date a deal counts on: when it closed if won, when it is expected to if open.
counted_on = case((D.status == "WON", D.actual_close_date), else_=D.expected_close_date)
category_of = case(
    (D.status == "WON", Category.CLOSED.value),
    (D.probability >= COMMIT_FROM, Category.COMMIT.value),
    (D.probability >= BEST_CASE_FROM, Category.BEST_CASE.value),
    else_=Category.PIPELINE.value,
)


def _counted(scope: Scope) -> Select[Any]:
    """The tenant's deals a forecast counts: open and won."""
    return scoped(select(), D, scope).where(D.status.in_(("ACTIVE", "WON")))


def _deals(scope: Scope, pipeline_id: UUID) -> Select[Any]:
    return _counted(scope).where(D.pipeline_id == pipeline_id)


def _within(start: datetime, end: datetime) -> ColumnElement[bool]:
    return and_(counted_on >= start, counted_on < end)


async def forecast_rows(
    session: AsyncSession, scope: Scope, pipeline_id: UUID, edges: Sequence[datetime]
) -> list[Row]:
    """Amounts per (bucket, category) of the pipeline's deals dated within the edges; open
    deals without an expected close date as bucket None."""
    bucket = case(*[(counted_on < end, i) for i, end in enumerate(edges[1:])], else_=None).label(
        "bucket"
    )
    undated = and_(D.status == "ACTIVE", D.expected_close_date.is_(None))
    category = category_of.label("category")
    stmt = (
        _deals(scope, pipeline_id)
        .add_columns(
            bucket, category, func.count(), func.sum(D.value), func.sum(D.value * D.probability)
        )
        .where(or_(_within(edges[0], edges[-1]), undated))
        .group_by(bucket, category)
    )
    return [
        Row(
            None if index is None else int(index),
            Category(cat),
            int(n),
            Decimal(total or 0),
            Decimal(weighted or 0) / 100,
        )
        for index, cat, n, total, weighted in await session.execute(stmt)
    ]


@dataclass(frozen=True)
class DealList:
    """One list of the deals behind a forecast: the pipeline's deals counted in [start, end)
    (of one category, or all), the `limit` largest."""

    pipeline_id: UUID
    start: datetime
    end: datetime
    category: Category | None
    limit: int


async def forecast_deal_lists(
    session: AsyncSession, scope: Scope, lists: Sequence[DealList]
) -> list[list[models.Deal]]:
    """Every list in one statement, largest value first (ties by id): the lists asked for
    join the deals, row_number() ranks each list's deals, and only the ranked ids' rows are
    read in full (the ranking reads the covering report index, not the table)."""
    if not lists:
        return []
    # Each deal's date and category computed once (the CTE is materialised), for every list.
    counted = (
        _counted(scope)
        .add_columns(
            D.id,
            D.pipeline_id,
            D.value,
            counted_on.label("counted_on"),
            category_of.label("category"),
        )
        .where(
            D.pipeline_id.in_(sorted({w.pipeline_id for w in lists})),
            _within(min(w.start for w in lists), max(w.end for w in lists)),
        )
        .cte("counted")
        .prefix_with("MATERIALIZED")
    )
    # One ranked branch per list, joined by UNION ALL: a VALUES list of the lists would
    # read the same, but SQLite (the embedded mode) cannot name a VALUES list's columns.
    ranked = union_all(*[_ranked(counted, index, wanted) for index, wanted in enumerate(lists)])
    r = ranked.subquery("ranked")
    stmt = (
        scoped(select(D, r.c.list), D, scope).join(r, D.id == r.c.id).order_by(r.c.list, r.c.rank)
    )
    found: dict[int, list[models.Deal]] = defaultdict(list)
    for deal, index in await session.execute(stmt):
        found[index].append(deal)
    return [found.get(i, []) for i in range(len(lists))]


def _ranked(counted: CTE, index: int, wanted: DealList) -> Select[Any]:
    """The ids of one list's deals with their rank in it, the first wanted.limit of them."""
    c = counted.c
    rank = func.row_number().over(order_by=(c.value.desc(), c.id)).label("rank")
    mine = select(c.id, rank).where(
        c.pipeline_id == wanted.pipeline_id, c.counted_on >= wanted.start, c.counted_on < wanted.end
    )
    if wanted.category is not None:
        mine = mine.where(c.category == wanted.category.value)
    inner = mine.subquery()
    # The list's index is ours (an int), written into the SQL: no parameter whose type a
    # UNION branch would leave PostgreSQL to guess.
    position = literal_column(str(int(index)), Integer).label("list")
    return select(inner.c.id, position, inner.c.rank).where(inner.c.rank <= wanted.limit)


async def pipeline_exists(session: AsyncSession, scope: Scope, pipeline_id: UUID) -> bool:
    p = models.Pipeline
    found = await session.scalar(scoped(select(p.id), p, scope).where(p.id == pipeline_id))
    return found is not None
