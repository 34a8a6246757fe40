"""Loaders over pipelines, their stages and the deal metrics of both."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from functools import cached_property
from uuid import UUID

from sqlalchemy import case, func, select

from crmgraph.db import models
from crmgraph.db.filtering import Condition, Filter
from crmgraph.db.sql_time import seconds_between
from crmgraph.db.stage_stays import stage_stays
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
        per batch (crmgraph.db.stage_stays says what a stay is)."""

        async def batch(ids: list[UUID]) -> list[float | None]:
            stays = stage_stays(self._scope, datetime.now(UTC), stage_ids=ids).subquery()
            seconds = func.avg(seconds_between(stays.c.entered_at, stays.c.left_at))
            stmt = select(stays.c.stage_id, seconds).group_by(stays.c.stage_id)
            async with self._sessions() as session:
                found = {row[0]: row[1] for row in await session.execute(stmt)}
            return [None if found.get(id_) is None else float(found[id_]) for id_ in ids]

        return Loader(batch)
