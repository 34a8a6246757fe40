"""The recorded entries of deals into stages, each with when the deal left (its next
change) and how far it later went, for the reports that measure stays and progress. One
pass over the history: window functions, no lookup per row."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Subquery, case, func, select, true

from crmgraph.db import models
from crmgraph.db.scoping import Scope, tenant_filter


def stage_entries(
    scope: Scope, *deals_where: ColumnElement[bool], since: datetime | None = None
) -> Subquery:
    """Per stage change of the tenant's deals matching deals_where, made at or after since
    when given (both windows look only forward, so earlier changes alter nothing): deal_id,
    to_stage_id, created_at, position (of the stage entered), left_at (the deal's next
    change; null for the stage it is in), later_position (the highest order of a stage above
    0% it entered after this one; null if none), and the deal's status, value and
    actual_close_date."""
    c, d, st = models.DealStageChange, models.Deal, models.PipelineStage
    order: Any = (c.created_at, c.id)
    progress = case((st.probability > 0, st.position))
    return (
        select(
            c.deal_id,
            c.to_stage_id,
            c.created_at,
            st.position,
            func.lead(c.created_at).over(partition_by=c.deal_id, order_by=order).label("left_at"),
            func.max(progress)
            .over(partition_by=c.deal_id, order_by=order, rows=(1, None))
            .label("later_position"),
            d.status,
            d.value,
            d.actual_close_date,
        )
        .join(d, d.id == c.deal_id)
        .join(st, st.id == c.to_stage_id)
        .where(tenant_filter(c, scope), tenant_filter(d, scope), *deals_where)
        .where(true() if since is None else c.created_at >= since)
        .subquery()
    )
