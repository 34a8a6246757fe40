"""Reads the forecast of a pipeline (crmgraph.reporting.forecast): one grouped statement for
the amounts, one per list of the deals behind them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, Select, and_, case, func, or_, select
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


def _deals(scope: Scope, pipeline_id: UUID) -> Select[Any]:
    return scoped(select(), D, scope).where(
        D.pipeline_id == pipeline_id, D.status.in_(("ACTIVE", "WON"))
    )


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


async def forecast_deals(
    session: AsyncSession,
    scope: Scope,
    pipeline_id: UUID,
    span: tuple[datetime, datetime],
    category: Category | None,
    limit: int,
) -> list[models.Deal]:
    """The pipeline's deals counted in span (of one category, or all), largest first."""
    stmt = (
        _deals(scope, pipeline_id)
        .add_columns(D)
        .where(_within(*span))
        .order_by(D.value.desc(), D.id)
        .limit(limit)
    )
    if category is not None:
        stmt = stmt.where(category_of == category.value)
    return list(await session.scalars(stmt))


async def pipeline_exists(session: AsyncSession, scope: Scope, pipeline_id: UUID) -> bool:
    p = models.Pipeline
    found = await session.scalar(scoped(select(p.id), p, scope).where(p.id == pipeline_id))
    return found is not None
