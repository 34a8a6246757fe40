"""Deal forecast of one pipeline for one year, per month or quarter (pure; no I/O).

A deal counts in the bucket of its date: an ACTIVE deal by its expected close date, a WON
deal by its actual close date; LOST deals never count. Each deal has a category:

- CLOSED: won;
- COMMIT: open at a probability of COMMIT_FROM% or more;
- BEST_CASE: open at BEST_CASE_FROM% up to COMMIT_FROM%;
- PIPELINE: open below BEST_CASE_FROM%.

Per bucket: `unweighted` is the open deals' value, `weighted` the sum of each open deal's
value times its probability (the deal's `probability`: its stage's unless set by hand),
`closed` the won value, `commit` closed + COMMIT, `best_case` commit + BEST_CASE, and
`expected` closed + weighted. Money stays Decimal, to the cent.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum
from itertools import pairwise

from crmgraph.errors import DomainError, ErrorCode

COMMIT_FROM = 75
BEST_CASE_FROM = 25
YEARS = (1900, 2999)
ZERO = Decimal(0)


class Period(StrEnum):
    MONTH = "MONTH"
    QUARTER = "QUARTER"


class Category(StrEnum):
    CLOSED = "CLOSED"
    COMMIT = "COMMIT"
    BEST_CASE = "BEST_CASE"
    PIPELINE = "PIPELINE"


OPEN = (Category.COMMIT, Category.BEST_CASE, Category.PIPELINE)


def category(status: str, probability: int) -> Category | None:
    if status == "WON":
        return Category.CLOSED
    if status != "ACTIVE":
        return None
    if probability >= COMMIT_FROM:
        return Category.COMMIT
    return Category.BEST_CASE if probability >= BEST_CASE_FROM else Category.PIPELINE


def boundaries(period: Period, year: int) -> list[datetime]:
    """Start of each bucket and the end of the last (UTC): 13 for months, 5 for quarters."""
    if not YEARS[0] <= year <= YEARS[1]:
        raise DomainError(
            ErrorCode.VALIDATION_ERROR, f"year must be {YEARS[0]} to {YEARS[1]}", field="year"
        )
    step = 1 if period is Period.MONTH else 3
    starts = [datetime(year, month, 1, tzinfo=UTC) for month in range(1, 13, step)]
    return [*starts, datetime(year + 1, 1, 1, tzinfo=UTC)]


def label(period: Period, year: int, index: int) -> str:
    return f"{year}-{index + 1:02d}" if period is Period.MONTH else f"{year}-Q{index + 1}"


@dataclass(frozen=True)
class Row:
    """Deals of one category in one bucket (None: an open deal without a close date)."""

    bucket: int | None
    category: Category
    deals: int
    value: Decimal
    weighted: Decimal  # sum of value * probability / 100


@dataclass
class Amounts:
    deals: int = 0
    value: Decimal = ZERO
    weighted: Decimal = ZERO


@dataclass
class Bucket:
    label: str
    start: datetime
    end: datetime
    categories: dict[Category, Amounts] = field(
        default_factory=lambda: {c: Amounts() for c in Category}
    )

    def _open(self, attr: str) -> Decimal:
        return sum((getattr(self.categories[c], attr) for c in OPEN), ZERO)

    @property
    def deal_count(self) -> int:
        return sum(a.deals for a in self.categories.values())

    @property
    def unweighted(self) -> Decimal:
        return self._open("value")

    @property
    def weighted(self) -> Decimal:
        return self._open("weighted")

    @property
    def closed(self) -> Decimal:
        return self.categories[Category.CLOSED].value

    @property
    def commit(self) -> Decimal:
        return self.closed + self.categories[Category.COMMIT].value

    @property
    def best_case(self) -> Decimal:
        return self.commit + self.categories[Category.BEST_CASE].value

    @property
    def expected(self) -> Decimal:
        return self.closed + self.weighted


@dataclass(frozen=True)
class Forecast:
    period: Period
    year: int
    buckets: list[Bucket]
    total: Bucket
    undated: Amounts  # open deals without an expected close date (in no bucket)


def forecast(period: Period, year: int, rows: Iterable[Row]) -> Forecast:
    edges = boundaries(period, year)
    buckets = [
        Bucket(label(period, year, i), start, end) for i, (start, end) in enumerate(pairwise(edges))
    ]
    total, undated = Bucket(str(year), edges[0], edges[-1]), Amounts()
    for row in rows:
        targets = [undated] if row.bucket is None else [
            buckets[row.bucket].categories[row.category], total.categories[row.category]
        ]  # fmt: skip
        for amounts in targets:
            amounts.deals += row.deals
            amounts.value += row.value
            amounts.weighted += row.weighted
    return Forecast(period, year, buckets, total, undated)
