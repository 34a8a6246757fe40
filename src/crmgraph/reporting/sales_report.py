"""The sales report (Query.salesReport of the API design) as plain rules: what its request
may ask, and how the figures read by crmgraph.reporting.sales_report_facts become the answer.

Definitions (README "Sales reports"):
- the period is whole UTC days, both ends included;
- a deal counts as closed in the period when its actualCloseDate falls in it;
- totalRevenue and dealsClosed: the value and number of the WON deals closed in the period;
  averageDealSize = totalRevenue / dealsClosed (0 without any);
- conversionRate = WON / (WON + LOST) * 100 over the deals closed in the period (0 without);
- topPerformers: owners of those WON deals by revenue, then deals won (bounds.TOP_PERFORMERS);
- stage metrics: over the deals of the filter that were in the stage at some time of the
  period (a stay, crmgraph.db.stage_stays, overlapping it): how many, their total value, and
  the average whole days of those stays.
A userId or pipeline id that names nothing of the tenant (or is not an id at all, like the API
design's "user_123") narrows the report to nothing: zero figures, an empty breakdown.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from uuid import UUID

from crmgraph.domain import bounds, validation
from crmgraph.domain.days import day_end, day_start

MAX_DAYS = 3660  # ten years
DAY_SECONDS = 86400


@dataclass(frozen=True)
class ReportRequest:
    start: date
    end: date
    user_id: UUID | None  # None: every owner
    names_user: bool  # False when userId was given but is not an id: nothing matches
    pipeline_ids: tuple[UUID, ...] | None  # None: every pipeline of the tenant

    @property
    def starts_at(self) -> datetime:
        return day_start(self.start)

    @property
    def ends_at(self) -> datetime:
        """The end day is included, to its last microsecond."""
        return day_end(self.end)


def report_request(
    start: date, end: date, user_id: UUID | None, *, names_user: bool = True,
    pipeline_ids: Sequence[UUID | None] | None = None,
) -> ReportRequest:  # fmt: skip
    """VALIDATION_ERROR for a period the report cannot answer; pipeline ids that are not ids
    (None here) are dropped, since they name nothing."""
    if end < start:
        raise validation.invalid("filter.period.end", "the end must not be before the start")
    if (end - start).days > MAX_DAYS:
        raise validation.invalid("filter.period.end", f"the period is at most {MAX_DAYS} days")
    ids = None
    if pipeline_ids is not None:
        validation.at_most(pipeline_ids, bounds.REPORT_PIPELINES, field="filter.pipelineIds")
        ids = tuple(dict.fromkeys(i for i in pipeline_ids if i is not None))
    return ReportRequest(start, end, user_id, names_user, ids)


@dataclass(frozen=True)
class Performer:
    user_id: UUID
    revenue: Decimal
    deals_won: int


@dataclass(frozen=True)
class StageFigures:
    """Read for one stage: the deals with a stay in the period, their value, stay seconds."""

    deal_count: int = 0
    total_value: Decimal = Decimal(0)
    average_stay_seconds: float | None = None

    @property
    def average_days(self) -> int:
        """Whole days, rounded down; 0 without a stay (as PipelineStage.averageTimeInStage)."""
        s = self.average_stay_seconds
        return 0 if s is None else max(0, int(s // DAY_SECONDS))


@dataclass(frozen=True)
class StageLine:
    stage_id: UUID
    figures: StageFigures


@dataclass(frozen=True)
class PipelineLine:
    pipeline_id: UUID
    stages: tuple[StageLine, ...]


@dataclass(frozen=True)
class Totals:
    won_value: Decimal = Decimal(0)
    won: int = 0
    lost: int = 0

    @property
    def average_deal_size(self) -> Decimal:
        return money(self.won_value / self.won) if self.won else Decimal(0)

    @property
    def conversion_rate(self) -> float:
        closed = self.won + self.lost
        return round(100.0 * self.won / closed, 2) if closed else 0.0


@dataclass(frozen=True)
class SalesReport:
    totals: Totals
    top_performers: tuple[Performer, ...]
    pipelines: tuple[PipelineLine, ...]


def money(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def ranked(performers: Sequence[Performer]) -> tuple[Performer, ...]:
    """Most revenue first, then most deals won, then by id so ties keep one order."""
    order = sorted(performers, key=lambda p: (-p.revenue, -p.deals_won, str(p.user_id)))
    return tuple(order[: bounds.TOP_PERFORMERS])


def breakdown(
    pipeline_ids: Sequence[UUID],
    stages_of: dict[UUID, list[UUID]],
    figures: dict[UUID, StageFigures],
) -> tuple[PipelineLine, ...]:
    """Every stage of each pipeline in its order, with zero figures where nothing stayed."""
    return tuple(
        PipelineLine(p, tuple(StageLine(s, figures.get(s, StageFigures())) for s in stages_of[p]))
        for p in pipeline_ids
    )
