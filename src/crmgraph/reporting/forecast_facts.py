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
    ColumnElement,
    DateTime,
    Integer,
    Select,
    String,
    Uuid,
    and_,
    case,
    column,
    func,
    or_,
    select,
    values,
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
    wanted = values(
        column("list", Integer),
        column("pipeline_id", Uuid),
        column("start", DateTime(timezone=True)),
        column("end", DateTime(timezone=True)),
        column("category", String),
        column("size", Integer),
        name="wanted",
    ).data(
        [
            (i, w.pipeline_id, w.start, w.end, _name(w.category), w.limit)
            for i, w in enumerate(lists)
        ]
    )
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
    c = counted.c
    rank = func.row_number().over(partition_by=wanted.c.list, order_by=(c.value.desc(), c.id))
    ranked = (
        select(c.id, wanted.c.list, wanted.c.size, rank.label("rank"))
        .join(
            wanted,
            and_(
                c.pipeline_id == wanted.c.pipeline_id,
                c.counted_on >= wanted.c.start,
                c.counted_on < wanted.c.end,
                or_(wanted.c.category.is_(None), c.category == wanted.c.category),
            ),
        )
        .subquery()
    )
    stmt = (
        scoped(select(D, ranked.c.list), D, scope)
        .join(ranked, D.id == ranked.c.id)
        .where(ranked.c.rank <= ranked.c.size)
        .order_by(ranked.c.list, ranked.c.rank)
    )
    found: dict[int, list[models.Deal]] = defaultdict(list)
    for deal, index in await session.execute(stmt):
        found[index].append(deal)
    return [found.get(i, []) for i in range(len(lists))]


def _name(category: Category | None) -> str | None:
    return None if category is None else category.value


async def pipeline_exists(session: AsyncSession, scope: Scope, pipeline_id: UUID) -> bool:
    p = models.Pipeline
    found = await session.scalar(scoped(select(p.id), p, scope).where(p.id == pipeline_id))
    return found is not None
