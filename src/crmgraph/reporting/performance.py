"""A salesperson's performance over the current calendar period (Query.performanceMetrics and
the sales dashboards): which days a period covers, and the figures it reports.

A period is the current UTC calendar week (from Monday), month, quarter or year, from its
first day up to today included. Figures (README "Sales reports"): the WON and LOST deals the
user owns closed in the period (revenue, counts, win rate, average deal size, as in the
sales report) and the user's open pipeline now: ACTIVE deals, their value, and their value
weighted by each deal's probability.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from enum import Enum

from crmgraph.reporting.sales_report import Totals


class Period(Enum):
    WEEK = "week"
    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"


def period_days(period: Period, today: date) -> tuple[date, date]:
    """(first day, today) of the calendar period that holds today."""
    if period is Period.WEEK:
        return today - timedelta(days=today.weekday()), today
    if period is Period.MONTH:
        return today.replace(day=1), today
    if period is Period.QUARTER:
        return today.replace(month=3 * ((today.month - 1) // 3) + 1, day=1), today
    return today.replace(month=1, day=1), today


@dataclass(frozen=True)
class OpenPipeline:
    deals: int = 0
    value: Decimal = Decimal(0)
    weighted_value: Decimal = Decimal(0)  # sum of value * probability / 100


@dataclass(frozen=True)
class Performance:
    start: date
    end: date
    closed: Totals
    open: OpenPipeline
