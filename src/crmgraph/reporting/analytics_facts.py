"""Reads the facts of pipeline analytics (crmgraph.reporting.pipeline_analytics) in three
statements: the stages, their history in the window, and the closed and open deals."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from uuid import UUID

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from crmgraph.db import models
from crmgraph.db.scoping import Scope, scoped
from crmgraph.db.sql_time import seconds_between
from crmgraph.db.stage_stays import stage_stays
from crmgraph.reporting.pipeline_analytics import ClosedFacts, StageFacts


async def stage_facts(
    session: AsyncSession, scope: Scope, pipeline_id: UUID, start: datetime | None, now: datetime
) -> list[StageFacts]:
    """Per stage, from the stays in it begun at or after start (crmgraph.db.stage_stays): the
    deals that entered, those that later entered a stage of higher order above 0%, and the
    number and total length of the stays."""
    d, st = models.Deal, models.PipelineStage
    stages = list(
        await session.scalars(scoped(select(st), st, scope).where(st.pipeline_id == pipeline_id))
    )
    if not stages:
        return []
    deal_ids = scoped(select(d.id), d, scope).where(d.pipeline_id == pipeline_id)
    h = stage_stays(scope, now, deal_ids=deal_ids, since=start).subquery().c
    seconds = seconds_between(h.entered_at, h.left_at)
    # Per deal and stage first (a hash aggregate), then per stage: counts of deals without
    # a DISTINCT over all the stays.
    per_deal = (
        select(
            h.stage_id,
            func.max(h.later_position).label("later"),
            func.count(seconds).label("stays"),
            func.sum(seconds).label("seconds"),
        )
        .group_by(h.stage_id, h.deal_id)
        .subquery()
    )
    p = per_deal.c
    stmt = (
        select(
            p.stage_id,
            func.count(),
            func.count(case((p.later > st.position, 1))),
            func.sum(p.stays),
            func.sum(p.seconds),
        )
        .join(st, st.id == p.stage_id)
        .group_by(p.stage_id)
    )
    found = {row[0]: row[1:] for row in await session.execute(stmt)}
    facts = []
    for s in stages:
        entered, moved, stays, total = found.get(s.id, (0, 0, 0, 0))
        facts.append(StageFacts(s.id, s.name, s.position, s.probability, int(entered),
                                int(moved), int(stays), float(total or 0)))  # fmt: skip
    return facts


async def closed_facts(
    session: AsyncSession, scope: Scope, pipeline_id: UUID, start: datetime | None
) -> ClosedFacts:
    """Deals closed at or after start, and the open deals now."""
    d = models.Deal
    won, lost, active = d.status == "WON", d.status == "LOST", d.status == "ACTIVE"
    in_window = d.actual_close_date.is_not(None) if start is None else d.actual_close_date >= start
    cycle = seconds_between(d.created_at, d.actual_close_date)
    stmt = scoped(
        select(
            func.count(case((won & in_window, d.id))),
            func.count(case((lost & in_window, d.id))),
            func.sum(case((won & in_window, d.value))),
            func.sum(case((won & in_window, cycle))),
            func.count(case((active, d.id))),
            func.sum(case((active, d.value))),
        ),
        d,
        scope,
    ).where(d.pipeline_id == pipeline_id)
    row = (await session.execute(stmt)).one()
    return ClosedFacts(
        won=int(row[0]),
        lost=int(row[1]),
        won_value=Decimal(row[2] or 0),
        won_cycle_seconds=float(row[3] or 0),
        open_deals=int(row[4]),
        open_value=Decimal(row[5] or 0),
    )
