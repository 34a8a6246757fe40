"""dealForecast's answer: a pipeline's deals per month or quarter of a year, weighted and
not, by forecast category, with the deals behind each number (README: Deal forecast)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TypeAlias
from uuid import UUID

import strawberry

from crmgraph.db import models
from crmgraph.domain import validation
from crmgraph.gql.context import Info
from crmgraph.gql.enums import graphql_enum
from crmgraph.gql.ids import uuid_or_none
from crmgraph.reporting import forecast
from crmgraph.reporting.forecast_facts import forecast_deals, forecast_rows, pipeline_exists
from subgraphs.deals.types.deal import Deal

DEFAULT_DEALS = 20


ForecastPeriod: TypeAlias = forecast.Period
graphql_enum(ForecastPeriod, name="ForecastPeriod", description="Buckets of a forecast year.")
ForecastCategory: TypeAlias = forecast.Category
graphql_enum(
    ForecastCategory,
    name="ForecastCategory",
    description="Where a deal stands in a forecast (README: Deal forecast).",
    values={
        forecast.Category.CLOSED: "Won, counted by its close date.",
        forecast.Category.COMMIT: f"Open at {forecast.COMMIT_FROM}% or more.",
        forecast.Category.BEST_CASE: f"Open at {forecast.BEST_CASE_FROM}% to under "
        f"{forecast.COMMIT_FROM}%.",
        forecast.Category.PIPELINE: f"Open under {forecast.BEST_CASE_FROM}%.",
    },
)


@strawberry.type(description="The deals of one category in a bucket.")
class ForecastCategoryAmount:
    category: ForecastCategory
    deal_count: int
    value: float
    weighted_value: float = strawberry.field(description="Sum of value x probability / 100.")


@strawberry.type(description="A deal counted in a forecast.")
class ForecastDeal:
    deal: Deal
    category: ForecastCategory
    weighted_value: float


@strawberry.type(description="One month or quarter of a forecast, or the whole year.")
class ForecastBucket:
    label: str = strawberry.field(description="2025-03, 2025-Q1, or 2025 for the year.")
    start: datetime
    end: datetime = strawberry.field(description="Exclusive.")
    deal_count: int
    unweighted: float = strawberry.field(description="Value of the open deals.")
    weighted: float = strawberry.field(
        description="Sum of each open deal's value x its probability / 100."
    )
    closed: float = strawberry.field(description="Value of the deals won.")
    commit: float = strawberry.field(description="closed + the COMMIT deals' value.")
    best_case: float = strawberry.field(description="commit + the BEST_CASE deals' value.")
    expected: float = strawberry.field(description="closed + weighted.")
    categories: list[ForecastCategoryAmount] = strawberry.field(
        description="All four categories, CLOSED, COMMIT, BEST_CASE, PIPELINE."
    )
    pipeline_id: strawberry.Private[UUID]

    @classmethod
    def of(cls, pipeline_id: UUID, bucket: forecast.Bucket) -> ForecastBucket:
        return cls(
            label=bucket.label,
            start=bucket.start,
            end=bucket.end,
            deal_count=bucket.deal_count,
            unweighted=float(bucket.unweighted),
            weighted=float(bucket.weighted),
            closed=float(bucket.closed),
            commit=float(bucket.commit),
            best_case=float(bucket.best_case),
            expected=float(bucket.expected),
            categories=[
                ForecastCategoryAmount(
                    category=cat,
                    deal_count=amounts.deals,
                    value=float(amounts.value),
                    weighted_value=float(amounts.weighted),
                )
                for cat, amounts in bucket.categories.items()
            ],
            pipeline_id=pipeline_id,
        )

    @strawberry.field(
        description="The deals behind the numbers, largest value first (ties by id): "
        "`first` of them (at most the maximum page size), of one category or all."
    )
    async def deals(
        self, info: Info, category: ForecastCategory | None = None, first: int = DEFAULT_DEALS
    ) -> list[ForecastDeal]:
        limit = info.context.runtime.settings.max_page_size
        if not 0 <= first <= limit:
            raise validation.invalid("first", f"first must be 0 to {limit}")
        async with info.context.session() as session:
            rows = await forecast_deals(
                session, info.context.scope, self.pipeline_id, (self.start, self.end), category,
                first,
            )  # fmt: skip
        return [
            ForecastDeal(
                deal=Deal.from_row(row),
                category=_category(row),
                weighted_value=float(row.value * row.probability / 100),
            )
            for row in rows
        ]


def _category(row: models.Deal) -> ForecastCategory:
    # The lists hold ACTIVE and WON deals only, which always have a category.
    return forecast.category(row.status, row.probability) or forecast.Category.CLOSED


@strawberry.type(description="A pipeline's forecast for a year (README: Deal forecast).")
class ForecastData:
    pipeline_id: strawberry.ID
    period: ForecastPeriod
    year: int
    buckets: list[ForecastBucket] = strawberry.field(description="12 months or 4 quarters.")
    total: ForecastBucket = strawberry.field(description="The whole year.")
    undated_deal_count: int = strawberry.field(
        description="Open deals without an expected close date: in no bucket."
    )
    undated_value: float

    @classmethod
    def of(cls, pipeline_id: UUID, found: forecast.Forecast) -> ForecastData:
        return cls(
            pipeline_id=strawberry.ID(str(pipeline_id)),
            period=found.period,
            year=found.year,
            buckets=[ForecastBucket.of(pipeline_id, b) for b in found.buckets],
            total=ForecastBucket.of(pipeline_id, found.total),
            undated_deal_count=found.undated.deals,
            undated_value=float(found.undated.value),
        )


async def deal_forecast(
    info: Info, pipeline: UUID, period: ForecastPeriod, year: int | None
) -> ForecastData | None:
    """The forecast of the tenant's pipeline for year (this year, UTC, unless given); None
    for an unknown pipeline."""
    year = datetime.now(UTC).year if year is None else year
    edges = forecast.boundaries(period, year)
    async with info.context.session() as session:
        if not await pipeline_exists(session, info.context.scope, pipeline):
            return None
        rows = await forecast_rows(session, info.context.scope, pipeline, edges)
    return ForecastData.of(pipeline, forecast.forecast(period, year, rows))


@strawberry.federation.type(keys=["id"])
class PipelineReport:
    """The pipelines subgraph's report, to which this subgraph adds the forecast."""

    id: strawberry.ID

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> PipelineReport:
        return cls(id=id)

    @strawberry.field(
        description="dealForecast of the pipeline (by quarter of this year unless given)."
    )
    async def forecast(
        self, info: Info, period: ForecastPeriod = ForecastPeriod.QUARTER, year: int | None = None
    ) -> ForecastData | None:
        key = uuid_or_none(self.id)
        return None if key is None else await deal_forecast(info, key, period, year)
