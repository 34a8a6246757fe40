"""Reads what win probability needs (crmgraph.reporting.win_probability), for any number of
deals of a tenant in three grouped statements: the deals with their stages, their activity
counts, and the cohort cells of the closed deals of their pipelines."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, Select, case, func, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from crmgraph.db import models
from crmgraph.db.scoping import Scope, scoped
from crmgraph.db.sql_time import seconds_between
from crmgraph.db.stage_stays import stage_stays
from crmgraph.domain.deals import days_in_stage
from crmgraph.reporting import win_factors
from crmgraph.reporting.win_probability import (
    ACTIVITY_BOUNDS,
    DAYS_BOUNDS,
    VALUE_BOUNDS,
    CohortCell,
    Estimate,
    OpenDeal,
    estimate,
)

DAY = 86400.0
ACTIVITY_TABLES = (models.Task, models.Event, models.Communication)


@dataclass(frozen=True)
class WinProbability:
    """A deal's estimate with its reasons."""

    deal: OpenDeal
    value: Decimal
    expected_close: datetime | None
    estimate: Estimate
    risk_factors: list[win_factors.RiskFactor]
    success_indicators: list[win_factors.SuccessIndicator]


def _band_sql(column: Any, bounds: Sequence[Any]) -> ColumnElement[int]:
    """The band index of column, as crmgraph.reporting.win_probability.band computes it."""
    whens = [(column >= bound, len(bounds) - i) for i, bound in enumerate(reversed(bounds))]
    return case(*whens, else_=0)


def activity_counts(scope: Scope, deal_ids: Select[Any] | Collection[UUID]) -> Any:
    """(deal_id, activities): tasks, events and communications about each deal."""
    parts = [
        scoped(select(t.related_id.label("deal_id")), t, scope).where(
            t.related_type == "DEAL", t.related_id.in_(deal_ids)
        )
        for t in ACTIVITY_TABLES
    ]
    every = union_all(*parts).subquery()
    return (
        select(every.c.deal_id, func.count().label("activities"))
        .group_by(every.c.deal_id)
        .subquery()
    )


async def cohort_cells(
    session: AsyncSession, scope: Scope, pipeline_ids: Collection[UUID], now: datetime
) -> list[CohortCell]:
    """The closed deals of the pipelines, grouped by each stage they stayed in
    (crmgraph.db.stage_stays) with their bands; a deal's days in a stage add up all its
    stays there."""
    d = models.Deal
    closed = scoped(select(d.id), d, scope).where(
        d.pipeline_id.in_(pipeline_ids), d.status.in_(("WON", "LOST"))
    )
    h = stage_stays(scope, now, deal_ids=closed).subquery().c
    stays = (
        select(
            h.deal_id,
            h.stage_id,
            func.sum(seconds_between(h.entered_at, h.left_at)).label("seconds"),
        )
        .group_by(h.deal_id, h.stage_id)
        .subquery()
    )
    acts = activity_counts(scope, closed)
    count = func.coalesce(acts.c.activities, 0)
    value_band = _band_sql(d.value, VALUE_BOUNDS).label("value_band")
    activity_band = _band_sql(count, ACTIVITY_BOUNDS).label("activity_band")
    day_bounds = [bound * DAY for bound in DAYS_BOUNDS]
    days_band = _band_sql(stays.c.seconds, day_bounds).label("days_band")
    won = (d.status == "WON").label("won")
    stmt = (
        select(
            stays.c.stage_id,
            value_band,
            activity_band,
            days_band,
            won,
            func.count(),
            func.sum(stays.c.seconds),
            func.sum(count),
        )
        .join(d, d.id == stays.c.deal_id)
        .outerjoin(acts, acts.c.deal_id == d.id)
        .group_by(stays.c.stage_id, value_band, activity_band, days_band, won)
    )
    return [
        CohortCell(
            stage,
            int(vb),
            int(ab),
            int(db),
            bool(w),
            int(n),
            float(seconds or 0) / DAY,
            int(activities or 0),
        )
        for stage, vb, ab, db, w, n, seconds, activities in await session.execute(stmt)
    ]


async def win_probabilities(
    session: AsyncSession, scope: Scope, deal_ids: Collection[UUID], now: datetime
) -> dict[UUID, WinProbability]:
    """The estimate of each of the tenant's deals among deal_ids (others are left out)."""
    d, st = models.Deal, models.PipelineStage
    stmt = (
        scoped(select(d, st.name, st.probability), d, scope)
        .join(st, st.id == d.stage_id)
        .where(d.id.in_(set(deal_ids)))
    )
    rows = list(await session.execute(stmt))
    if not rows:
        return {}
    acts = activity_counts(scope, [row[0].id for row in rows])
    counts: dict[UUID, int] = dict(
        (deal_id, int(n)) for deal_id, n in await session.execute(select(acts))
    )
    cells = await cohort_cells(session, scope, {row[0].pipeline_id for row in rows}, now)
    found = {}
    for deal, stage_name, stage_probability in rows:
        facts = OpenDeal(
            stage=deal.stage_id,
            stage_name=stage_name,
            stage_probability=stage_probability,
            status=deal.status,
            value=Decimal(deal.value),
            days_in_stage=days_in_stage(deal, now),
            activities=counts.get(deal.id, 0),
        )
        result = estimate(facts, cells)
        close = deal.expected_close_date
        found[deal.id] = WinProbability(
            deal=facts,
            value=Decimal(deal.value),
            expected_close=close,
            estimate=result,
            risk_factors=win_factors.risk_factors(
                facts, result.cohorts, expected_close=close, now=now
            ),
            success_indicators=win_factors.success_indicators(facts, result.cohorts),
        )
    return found
