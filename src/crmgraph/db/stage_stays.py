"""Stays of deals in pipeline stages, from the recorded stage changes: the one definition that
PipelineStage.averageTimeInStage and the sales report's stage metrics both measure with.

A stay is (deal_id, stage_id, entered_at, left_at):
- a completed stay from the recorded stage changes: entering the stage (to_stage_id) up to the
  deal's next change; and, for a deal whose first recorded change leaves the stage it was
  created in, from the deal's creation to that change;
- the current stay of each deal in its stage, from deals.stage_entered_at up to `now` for an
  ACTIVE deal, or up to actual_close_date for a closed one (without a close date a closed
  deal's current stay is left out).
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
) -> CompoundSelect[Any]:
    """The stays (deal_id, stage_id, entered_at, left_at) of the tenant's deals, limited to
    stays in stage_ids and/or to the deals deal_ids selects (a one-column SELECT)."""
    c, d = models.DealStageChange, models.Deal
    in_stages = _in(stage_ids)
    moved = select(c.deal_id).where(
        tenant_filter(c, tenant), or_(in_stages(c.to_stage_id), in_stages(c.from_stage_id))
    )
    if deal_ids is not None:
        moved = moved.where(c.deal_id.in_(deal_ids))
    order = (c.created_at, c.id)
    history = (
        select(
            c.deal_id,
            c.from_stage_id,
            c.to_stage_id,
            c.created_at,
            func.lead(c.created_at).over(partition_by=c.deal_id, order_by=order).label("left_at"),
            func.lag(c.created_at).over(partition_by=c.deal_id, order_by=order).label("prev_at"),
        )
        .where(tenant_filter(c, tenant), c.deal_id.in_(moved))
        .subquery()
    )
    h = history.c
    entered = select(
        h.deal_id,
        h.to_stage_id.label("stage_id"),
        h.created_at.label("entered_at"),
        h.left_at.label("left_at"),
    ).where(in_stages(h.to_stage_id), h.left_at.is_not(None))
    created_in = (
        select(h.deal_id, h.from_stage_id, d.created_at, h.created_at)
        .join(d, d.id == h.deal_id)
        .where(h.from_stage_id.is_not(None), in_stages(h.from_stage_id), h.prev_at.is_(None))
    )
    until = case((d.status == "ACTIVE", literal(now, UTCDateTime())), else_=d.actual_close_date)
    current = select(d.id, d.stage_id, d.stage_entered_at, until).where(
        tenant_filter(d, tenant),
        in_stages(d.stage_id),
        or_(d.status == "ACTIVE", d.actual_close_date.is_not(None)),
    )
    if deal_ids is not None:
        current = current.where(d.id.in_(deal_ids))
    return union_all(entered, created_in, current)


def _in(ids: Sequence[UUID] | None) -> Any:
    def check(column: ColumnElement[Any]) -> ColumnElement[bool]:
        return true() if ids is None else column.in_(ids)

    return check
