"""Deals with backdated stage history for the sales reporting tests: rows written directly,
as no mutation writes past dates, statuses or close dates."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from uuid import UUID

from crmgraph.db import models
from crmgraph.db.scoping import Scope
from crmgraph.domain import pipelines
from tests.stack import Stack

DAY = timedelta(days=1)
# Lead 10%, Proposal 50%, Won 100%, Lost 0%, in this order.
STAGES = (("Lead", 10), ("Proposal", 50), ("Won", 100), ("Lost", 0))
LEAD, PROPOSAL, WON, LOST = range(4)


@dataclass(frozen=True)
class Pipeline:
    id: UUID
    stages: list[UUID]


@dataclass(frozen=True, kw_only=True)
class Spec:
    value: str | int
    # (stage index, time before now) of each entry, the first being the deal's creation
    path: Sequence[tuple[int, timedelta]]
    status: str = "ACTIVE"
    closed: timedelta | datetime | None = None  # before now, or a date
    expected: datetime | None = None
    probability: int | None = None  # default: the stage's
    tasks: int = 0


async def add_pipeline(stack: Stack, tenant: str, name: str = "Sales") -> Pipeline:
    stages = tuple(
        pipelines.NewStage(name=n, order=i + 1, probability=p) for i, (n, p) in enumerate(STAGES)
    )
    async with stack.runtime.sessions() as session, session.begin():
        pipeline, rows = await pipelines.create_pipeline(
            session, scope=Scope(tenant_id=tenant),
            data=pipelines.NewPipeline(name=name, stages=stages),
        )  # fmt: skip
    return Pipeline(pipeline.id, [s.id for s in rows])


async def add_deals(
    stack: Stack, tenant: str, pipeline: Pipeline, specs: Sequence[Spec]
) -> list[UUID]:
    """The deals, each with a history row per entry of its path and `tasks` tasks."""
    now, ids = datetime.now(UTC), []
    async with stack.runtime.sessions() as session, session.begin():
        for i, spec in enumerate(specs):
            stage, entered = spec.path[-1]
            closed = spec.closed
            deal = models.Deal(
                tenant_id=tenant, title=f"D{i}", value=Decimal(spec.value),
                pipeline_id=pipeline.id, stage_id=pipeline.stages[stage],
                probability=STAGES[stage][1] if spec.probability is None else spec.probability,
                status=spec.status, expected_close_date=spec.expected,
                actual_close_date=now - closed if isinstance(closed, timedelta) else closed,
                created_at=now - spec.path[0][1], stage_entered_at=now - entered,
            )  # fmt: skip
            session.add(deal)
            await session.flush()
            previous = None
            for step, ago in spec.path:
                session.add(models.DealStageChange(
                    tenant_id=tenant, deal_id=deal.id, created_at=now - ago,
                    from_stage_id=previous, to_stage_id=pipeline.stages[step],
                ))  # fmt: skip
                previous = pipeline.stages[step]
            session.add_all(
                models.Task(
                    tenant_id=tenant, title=f"T{n}", related_type="DEAL", related_id=deal.id
                )
                for n in range(spec.tasks)
            )
            ids.append(deal.id)
    return ids
