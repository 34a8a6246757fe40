"""Dashboards (Query.dashboardData): the built-in ones and what each widget shows.

One dashboard is built in, `sales`: the tenant's sales at a glance. Its widgets (README
"Sales reports"): revenue, deals won and win rate of this month and quarter (the closed-deal
figures of crmgraph.reporting.performance over the whole tenant), the open pipeline's value and
weighted value, revenue won per month over the last MONTHS months (the current one last), and
the open value in each stage of the tenant's oldest pipeline.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from crmgraph.reporting.performance import Performance

SALES = "sales"
DASHBOARDS = {SALES: "Sales overview"}
MONTHS = 12


@dataclass(frozen=True)
class Point:
    label: str
    value: Decimal


@dataclass(frozen=True)
class Widget:
    key: str
    title: str
    unit: str  # currency | count | percent
    value: Decimal | None = None  # a single figure
    series: tuple[Point, ...] = ()  # or a series, in order


@dataclass(frozen=True)
class Dashboard:
    id: str
    name: str
    widgets: tuple[Widget, ...]


def last_months(today: date, count: int = MONTHS) -> list[tuple[date, date]]:
    """(first day, next month's first day) of the `count` months up to today's, oldest
    first."""
    index = today.year * 12 + today.month - 1  # months since year 0
    firsts = [date(i // 12, i % 12 + 1, 1) for i in range(index - count + 1, index + 2)]
    return list(itertools.pairwise(firsts))


def sales_dashboard(
    month: Performance,
    quarter: Performance,
    revenue_by_month: list[tuple[date, Decimal]],
    open_by_stage: list[tuple[str, Decimal]],
) -> Dashboard:
    o = month.open
    widgets = (
        Widget("revenue_this_month", "Revenue this month", "currency", month.closed.won_value),
        Widget("deals_won_this_month", "Deals won this month", "count", Decimal(month.closed.won)),
        Widget("win_rate_this_quarter", "Win rate this quarter", "percent",
               Decimal(str(quarter.closed.conversion_rate))),
        Widget("revenue_this_quarter", "Revenue this quarter", "currency",
               quarter.closed.won_value),
        Widget("open_pipeline", "Open pipeline", "currency", o.value),
        Widget("weighted_pipeline", "Weighted open pipeline", "currency", o.weighted_value),
        Widget("revenue_by_month", "Revenue won per month", "currency",
               series=tuple(Point(f"{m:%Y-%m}", v) for m, v in revenue_by_month)),
        Widget("open_value_by_stage", "Open value by stage", "currency",
               series=tuple(Point(name, v) for name, v in open_by_stage)),
    )  # fmt: skip
    return Dashboard(SALES, DASHBOARDS[SALES], widgets)
