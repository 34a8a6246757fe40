"""The revenueAttribution query (GraphQL and REST) over the GraphStore: check the request,
read the journeys of the date range through the port (non-converting ones too for the
data-driven model), name the campaigns, and call crmgraph.domain.attribution."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import TypeVar
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from crmgraph.db import models
from crmgraph.domain import validation
from crmgraph.domain.attribution import (
    DEFAULT_HALF_LIFE,
    Campaign,
    GroupBy,
    Model,
    Report,
    revenue_attribution,
)
from crmgraph.domain.days import day_end, day_start
from crmgraph.graph.port import GraphReader
from crmgraph.graph.sql_journeys import rows_of

MAX_DAYS = 3660  # ten years: the journeys of a range are read at once


@dataclass(frozen=True, kw_only=True)
class Fields:
    """The request's field names as the caller spells them (GraphQL or REST), for errors."""

    start: str = "startDate"
    end: str = "endDate"
    model: str = "model"
    group_by: str = "groupBy"
    min_revenue: str = "minRevenue"
    half_life: str = "halfLifeDays"


@dataclass(frozen=True, kw_only=True)
class AttributionRequest:
    start_date: date
    end_date: date
    model: Model
    group_by: GroupBy
    include_indirect: bool
    min_revenue: Decimal
    half_life: timedelta

    @property
    def start(self) -> datetime:
        return day_start(self.start_date)

    @property
    def end(self) -> datetime:
        """The end date is included, to its last microsecond."""
        return day_end(self.end_date)


def request_of(
    *,
    start_date: date,
    end_date: date,
    model: str,
    group_by: str = "campaign",
    include_indirect: bool = True,
    min_revenue: float | Decimal | str = 0,
    half_life_days: float | None = None,
    fields: Fields = Fields(),
) -> AttributionRequest:
    """VALIDATION_ERROR naming the caller's field for anything the query cannot answer."""
    if end_date < start_date:
        raise validation.invalid(fields.end, f"{fields.end} must not be before {fields.start}")
    if (end_date - start_date).days > MAX_DAYS:
        raise validation.invalid(fields.end, f"the range must be at most {MAX_DAYS} days")
    try:
        minimum = validation.non_negative_money(Decimal(str(min_revenue)), field=fields.min_revenue)
    except InvalidOperation as exc:
        raise validation.invalid(
            fields.min_revenue, f"{fields.min_revenue} must be a number"
        ) from exc
    half_life = DEFAULT_HALF_LIFE
    if half_life_days is not None:
        if not 0 < half_life_days <= 3650:
            raise validation.invalid(fields.half_life, "the half-life must be 0 to 3650 days")
        half_life = timedelta(days=half_life_days)
    return AttributionRequest(
        start_date=start_date,
        end_date=end_date,
        model=_one_of(Model, model, fields.model),
        group_by=_one_of(GroupBy, group_by, fields.group_by),
        include_indirect=include_indirect,
        min_revenue=minimum,
        half_life=half_life,
    )


E = TypeVar("E", Model, GroupBy)


def _one_of(kind: type[E], value: str, field: str) -> E:
    try:
        return kind(value)
    except ValueError:
        names = ", ".join(m.value for m in kind)
        raise validation.invalid(field, f"{field} must be one of {names}") from None


async def revenue_report(
    graph: GraphReader, session: AsyncSession, tenant: str, request: AttributionRequest
) -> Report:
    """The report of the tenant's deals closed in the range (with, for the data-driven model,
    the leads of the range that did not close: its non-converting walks)."""
    journeys = await graph.revenue_journeys(
        tenant, request.start, request.end, non_converting=request.model is Model.DATA_DRIVEN
    )
    ids = {t.campaign_id for j in journeys for t in j.touchpoints if t.campaign_id}
    keys = [UUID(i) for i in ids]
    rows = await rows_of(session, models.Campaign, tenant, models.Campaign.id, keys)
    campaigns = {str(r.id): Campaign(id=str(r.id), name=r.name, type=r.type, budget=r.budget)
                 for r in rows}  # fmt: skip
    return revenue_attribution(
        journeys,
        model=request.model,
        group_by=request.group_by,
        half_life=request.half_life,
        campaigns=campaigns,
        include_indirect=request.include_indirect,
        min_revenue=request.min_revenue,
    )
