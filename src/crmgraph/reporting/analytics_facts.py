"""Reads the facts of pipeline analytics (crmgraph.reporting.pipeline_analytics) in three
statements: the stages, their history in the window, and the closed and open deals."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from uuid import UUID

from sqlalchemy import case, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from crmgraph.db import models
from crmgraph.db.scoping import Scope, scoped
from crmgraph.db.sql_time import seconds_between
from crmgraph.db.types import UTCDateTime
from crmgraph.reporting.pipeline_analytics import ClosedFacts, StageFacts
from crmgraph.reporting.stage_history import stage_entries


async def stage_facts(
    session: AsyncSession, scope: Scope, pipeline_id: UUID, start: datetime | None, now: datetime
) -> list[StageFacts]:
    """Per stage, from the recorded entries into it at or after start: the deals that
    entered, those that later entered a stage of higher order above 0%, and the stays (to
    the deal's next change; for its current stage, to now if ACTIVE or its close date)."""
    d, st = models.Deal, models.PipelineStage
    stages = list(
        await session.scalars(scoped(select(st), st, scope).where(st.pipeline_id == pipeline_id))
    )
    if not stages:
        return []
    h = stage_entries(scope, d.pipeline_id == pipeline_id, since=start).c
    advanced = h.later_position > h.position
    until = case((h.status == "ACTIVE", literal(now, UTCDateTime())), else_=h.actual_close_date)
    seconds = seconds_between(h.created_at, func.coalesce(h.left_at, until))
    stmt = select(
        h.to_stage_id,
        func.count(func.distinct(h.deal_id)),
        func.count(func.distinct(case((advanced, h.deal_id)))),
        func.count(seconds),
        func.sum(seconds),
    ).group_by(h.to_stage_id)
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
