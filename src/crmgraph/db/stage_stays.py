"""Stays of deals in pipeline stages, from the recorded stage changes: the one definition that
PipelineStage.averageTimeInStage, the sales report's stage metrics, pipeline analytics and
win probability all measure with.

A stay is (deal_id, stage_id, entered_at, left_at, later_position):
- a completed stay from the recorded stage changes: entering the stage (to_stage_id) up to the
  deal's next change; and, for a deal whose first recorded change leaves the stage it was
  created in, from the deal's creation to that change;
- the current stay of each deal in its stage, from deals.stage_entered_at up to `now` for an
  ACTIVE deal, or up to actual_close_date for a closed one (without a close date a closed
  deal's current stay is left out).
later_position is how far the deal went after the stay began: the highest position of a
stage above 0% it entered by a later recorded change (null if none; null for the current
stay).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Select,
    case,
    func,
    literal,
    null,
    or_,
    select,
    true,
    union_all,
)

from crmgraph.db import models
from crmgraph.db.scoping import Scope, tenant_filter
from crmgraph.db.types import UTCDateTime


def stage_stays(
    tenant: Scope | str,
    now: datetime,
    *,
    stage_ids: Sequence[UUID] | None = None,
    deal_ids: Select[Any] | None = None,
    since: datetime | None = None,
) -> CompoundSelect[Any]:
    """The stays (deal_id, stage_id, entered_at, left_at, later_position) of the tenant's
    deals, limited to stays in stage_ids, to the deals deal_ids selects (a one-column
    SELECT) and to stays begun at or after since."""
    c, d, st = models.DealStageChange, models.Deal, models.PipelineStage
    in_stages = _in(stage_ids)
    changes = [tenant_filter(c, tenant)]
    if stage_ids is not None:
        moved = select(c.deal_id).where(
            tenant_filter(c, tenant), or_(in_stages(c.to_stage_id), in_stages(c.from_stage_id))
        )
        changes.append(c.deal_id.in_(moved))
    if deal_ids is not None:
        changes.append(c.deal_id.in_(deal_ids))
    if since is not None:
        # Every window looks forward only, so earlier changes alter no stay begun since;
        # a stay from creation begins with the deal (filtered on below).
        changes.append(c.created_at >= since)
    order: Any = (c.created_at, c.id)
    progress = case((st.probability > 0, st.position))
    history = (
        select(
            c.deal_id,
            c.from_stage_id,
            c.to_stage_id,
            c.created_at,
            func.lead(c.created_at).over(partition_by=c.deal_id, order_by=order).label("left_at"),
            func.lag(c.created_at).over(partition_by=c.deal_id, order_by=order).label("prev_at"),
            func.max(progress)
            .over(partition_by=c.deal_id, order_by=order, rows=(1, None))
            .label("later"),
            func.max(progress)
            .over(partition_by=c.deal_id, order_by=order, rows=(0, None))
            .label("from_here"),
        )
        .join(st, st.id == c.to_stage_id)
        .where(*changes)
        # A CTE: read twice below (stays entered, stays from creation), computed once.
        .cte("history")
    )
    h = history.c
    entered = select(
        h.deal_id,
        h.to_stage_id.label("stage_id"),
        h.created_at.label("entered_at"),
        h.left_at.label("left_at"),
        h.later.label("later_position"),
    ).where(in_stages(h.to_stage_id), h.left_at.is_not(None))
    created_in = (
        select(h.deal_id, h.from_stage_id, d.created_at, h.created_at, h.from_here)
        .join(d, d.id == h.deal_id)
        .where(h.from_stage_id.is_not(None), in_stages(h.from_stage_id), h.prev_at.is_(None))
    )
    until = case((d.status == "ACTIVE", literal(now, UTCDateTime())), else_=d.actual_close_date)
    current = select(d.id, d.stage_id, d.stage_entered_at, until, null()).where(
        tenant_filter(d, tenant),
        in_stages(d.stage_id),
        or_(d.status == "ACTIVE", d.actual_close_date.is_not(None)),
    )
    if deal_ids is not None:
        current = current.where(d.id.in_(deal_ids))
    if since is not None:
        created_in = created_in.where(d.created_at >= since)
        current = current.where(d.stage_entered_at >= since)
    return union_all(entered, created_in, current)


def _in(ids: Sequence[UUID] | None) -> Any:
    def check(column: ColumnElement[Any]) -> ColumnElement[bool]:
        return true() if ids is None else column.in_(ids)

    return check
