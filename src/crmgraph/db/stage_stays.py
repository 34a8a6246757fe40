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

The completed stays are stored (models.DealStay, kept by crmgraph.db.stay_store in the
transaction of every write that records a stage change; stay_store.history_stays computes
them from the history by this definition); the current stays come from the deals. So a
report reads each stay once from an index instead of windowing every recorded change.
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
    s, d = models.DealStay, models.Deal
    in_stages = _in(stage_ids)
    completed = select(s.deal_id, s.stage_id, s.entered_at, s.left_at, s.later_position).where(
        tenant_filter(s, tenant), in_stages(s.stage_id)
    )
    until = case((d.status == "ACTIVE", literal(now, UTCDateTime())), else_=d.actual_close_date)
    current = select(d.id, d.stage_id, d.stage_entered_at, until, null()).where(
        tenant_filter(d, tenant),
        in_stages(d.stage_id),
        or_(d.status == "ACTIVE", d.actual_close_date.is_not(None)),
    )
    if deal_ids is not None:
        completed = completed.where(s.deal_id.in_(deal_ids))
        current = current.where(d.id.in_(deal_ids))
    if since is not None:
        completed = completed.where(s.entered_at >= since)
        current = current.where(d.stage_entered_at >= since)
    return union_all(completed, current)


def _in(ids: Sequence[UUID] | None) -> Any:
    def check(column: ColumnElement[Any]) -> ColumnElement[bool]:
        return true() if ids is None else column.in_(ids)

    return check
