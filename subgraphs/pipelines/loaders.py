"""Loaders over pipelines, their stages and the deal metrics of both."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from functools import cached_property
from typing import Any
from uuid import UUID

from sqlalchemy import CompoundSelect, case, func, literal, or_, select, union_all

from crmgraph.db import models
from crmgraph.db.filtering import Condition, Filter
from crmgraph.db.scoping import tenant_filter
from crmgraph.db.sql_time import seconds_between
from crmgraph.db.types import UTCDateTime
from crmgraph.domain import bounds
from crmgraph.loaders.base import Loader, LoaderBase

DAY = 86400
ACTIVE = Filter((Condition("status", "eq", "ACTIVE"),))


@dataclass(frozen=True)
class PipelineMetrics:
    active_value: Decimal = Decimal(0)
    active_count: int = 0
    won: int = 0
    lost: int = 0
    sales_cycle_seconds: float | None = None


@dataclass(frozen=True)
class StageMetrics:
    deal_count: int = 0
    stage_value: Decimal = Decimal(0)


def whole_days(seconds: float | Decimal | None) -> int:
    """Rounded down; no data is 0 days."""
    return 0 if seconds is None else max(0, int(float(seconds) // DAY))


class PipelineLoaders(LoaderBase):
    @cached_property
    def pipeline_by_id(self) -> Loader[UUID, models.Pipeline | None]:
        return self.by_id(models.Pipeline)

    @cached_property
    def stage_by_id(self) -> Loader[UUID, models.PipelineStage | None]:
        return self.by_id(models.PipelineStage)

    @cached_property
    def stages_by_pipeline(self) -> Loader[UUID, list[models.PipelineStage]]:
        st = models.PipelineStage
        order = (st.position, st.id)
        return self.all_by(st, st.pipeline_id, order=order, limit=bounds.PIPELINE_STAGES)

    @cached_property
    def pipeline_metrics(self) -> Loader[UUID, PipelineMetrics]:
        """Deal figures per pipeline, one grouped statement per batch."""
        d = models.Deal
        active, won = d.status == "ACTIVE", d.status == "WON"
        cycle = seconds_between(d.created_at, d.actual_close_date)
        found = self.aggregate_by(
            d,
            d.pipeline_id,
            func.sum(case((active, d.value))),
            func.count(case((active, d.id))),
            func.count(case((won, d.id))),
            func.count(case((d.status == "LOST", d.id))),
            func.avg(case((won & d.actual_close_date.is_not(None), cycle))),
        )

        async def batch(ids: list[UUID]) -> list[PipelineMetrics]:
            rows = await found.load_many([(id_, Filter()) for id_ in ids])
            return [
                PipelineMetrics(
                    active_value=Decimal(value or 0),
                    active_count=int(active_count or 0),
                    won=int(won_count or 0),
                    lost=int(lost_count or 0),
                    sales_cycle_seconds=None if seconds is None else float(seconds),
                )
                for value, active_count, won_count, lost_count, seconds in rows
            ]

        return Loader(batch)

    @cached_property
    def stage_metrics(self) -> Loader[UUID, StageMetrics]:
        """ACTIVE deals now in each stage: how many and their total value."""
        d = models.Deal
        found = self.aggregate_by(d, d.stage_id, func.count(), func.sum(d.value))

        async def batch(ids: list[UUID]) -> list[StageMetrics]:
            rows = await found.load_many([(id_, ACTIVE) for id_ in ids])
            return [StageMetrics(int(n or 0), Decimal(total or 0)) for n, total in rows]

        return Loader(batch)

    @cached_property
    def stage_time_seconds(self) -> Loader[UUID, float | None]:
        """Average seconds of the stays of deals in each stage (None: no stay), one statement
        per batch. See _stays for what a stay is."""

        async def batch(ids: list[UUID]) -> list[float | None]:
            stays = self._stays(ids, datetime.now(UTC)).subquery()
            stmt = select(stays.c.stage_id, func.avg(stays.c.seconds)).group_by(stays.c.stage_id)
            async with self._sessions() as session:
                found = {row[0]: row[1] for row in await session.execute(stmt)}
            return [None if found.get(id_) is None else float(found[id_]) for id_ in ids]

        return Loader(batch)

    def _stays(self, ids: Sequence[UUID], now: datetime) -> CompoundSelect[Any]:
        """Each stay of a deal in one of the stages, as (stage_id, seconds):

        - completed stays from the recorded stage changes: entering the stage (to_stage_id) up
          to the deal's next change; and, for a deal whose first recorded change leaves the
          stage it was created in, from the deal's creation to that change;
        - the current stay of each deal in the stage, from deals.stage_entered_at up to now
          for an ACTIVE deal, or up to actual_close_date for a closed one (without a close
          date a closed deal's stay is left out).
        """
        c, d, tenant = models.DealStageChange, models.Deal, self._scope
        moved = select(c.deal_id).where(
            tenant_filter(c, tenant), or_(c.to_stage_id.in_(ids), c.from_stage_id.in_(ids))
        )
        order = (c.created_at, c.id)
        history = (
            select(
                c.deal_id,
                c.from_stage_id,
                c.to_stage_id,
                c.created_at,
                func.lead(c.created_at)
                .over(partition_by=c.deal_id, order_by=order)
                .label("left_at"),
                func.lag(c.created_at)
                .over(partition_by=c.deal_id, order_by=order)
                .label("previous_at"),
            )
            .where(tenant_filter(c, tenant), c.deal_id.in_(moved))
            .subquery()
        )
        h = history.c
        entered = select(
            h.to_stage_id.label("stage_id"),
            seconds_between(h.created_at, h.left_at).label("seconds"),
        ).where(h.to_stage_id.in_(ids), h.left_at.is_not(None))
        created_in = (
            select(h.from_stage_id, seconds_between(d.created_at, h.created_at))
            .join(d, d.id == h.deal_id)
            .where(h.from_stage_id.in_(ids), h.previous_at.is_(None))
        )
        until = case((d.status == "ACTIVE", literal(now, UTCDateTime())), else_=d.actual_close_date)
        current = select(d.stage_id, seconds_between(d.stage_entered_at, until)).where(
            tenant_filter(d, tenant),
            d.stage_id.in_(ids),
            or_(d.status == "ACTIVE", d.actual_close_date.is_not(None)),
        )
        return union_all(entered, created_in, current)
