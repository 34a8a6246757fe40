"""The recorded entries of deals into stages, each with when the deal left (its next
change), for the reports that measure stays and progress."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, Subquery, func, select

from crmgraph.db import models
from crmgraph.db.scoping import Scope, tenant_filter


def stage_entries(scope: Scope, deal_ids: Select[Any]) -> Subquery:
    """(deal_id, to_stage_id, created_at, left_at) per stage change of the deals; left_at is
    the deal's next change, null for the stage it is in."""
    c = models.DealStageChange
    return (
        select(
            c.deal_id,
            c.to_stage_id,
            c.created_at,
            func.lead(c.created_at)
            .over(partition_by=c.deal_id, order_by=(c.created_at, c.id))
            .label("left_at"),
        )
        .where(tenant_filter(c, scope), c.deal_id.in_(deal_ids))
        .subquery()
    )
