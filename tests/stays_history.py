"""The completed stays of deals by the definition in crmgraph.db.stage_stays's docstring,
computed from the recorded stage changes with window functions (the statement the readers
ran before stays were stored): what the stored stays (crmgraph.db.stay_triggers) must equal.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, case, func, select, true

from crmgraph.db import models
from crmgraph.db.scoping import Scope, tenant_filter

COLUMNS = ("id", "tenant_id", "deal_id", "stage_id", "entered_at", "left_at", "later_position")


def history_stays(tenant: Scope | str | None, deal_ids: Select[Any] | None = None) -> Any:
    """The completed stays of the tenant's deals (every tenant's: None), limited to the deals
    deal_ids selects, by the definition over the recorded changes; columns as COLUMNS (id: the
    change that ended the stay)."""
    c, d, st = models.DealStageChange, models.Deal, models.PipelineStage
    where = [true() if tenant is None else tenant_filter(c, tenant)]
    if deal_ids is not None:
        where.append(c.deal_id.in_(deal_ids))
    order: Any = (c.created_at, c.id)
    progress = case((st.probability > 0, st.position))
    history = (
        select(
            c.id,
            c.tenant_id,
            c.deal_id,
            c.from_stage_id,
            c.to_stage_id,
            c.created_at,
            func.lead(c.id, type_=c.id.type)
            .over(partition_by=c.deal_id, order_by=order)
            .label("next_id"),
            func.lead(c.created_at, type_=c.created_at.type)
            .over(partition_by=c.deal_id, order_by=order)
            .label("left_at"),
            func.lag(c.created_at).over(partition_by=c.deal_id, order_by=order).label("prev_at"),
            func.max(progress)
            .over(partition_by=c.deal_id, order_by=order, rows=(1, None))
            .label("later"),
            func.max(progress)
            .over(partition_by=c.deal_id, order_by=order, rows=(0, None))
            .label("from_here"),
        )
        .join(st, st.id == c.to_stage_id)
        .where(*where)
        # A CTE: read twice below (stays entered, stays from creation), computed once.
        .cte("history")
    )
    h = history.c
    entered = select(
        h.next_id, h.tenant_id, h.deal_id, h.to_stage_id, h.created_at, h.left_at, h.later
    ).where(h.left_at.is_not(None))
    created_in = (
        select(
            h.id, h.tenant_id, h.deal_id, h.from_stage_id, d.created_at, h.created_at, h.from_here
        )
        .join(d, d.id == h.deal_id)
        .where(h.from_stage_id.is_not(None), h.prev_at.is_(None))
    )
    return entered.union_all(created_in)
