"""The built-in sales dashboard's widgets and months, without a database."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from crmgraph.domain import bounds
from crmgraph.reporting.dashboards import MONTHS, last_months, sales_dashboard
from crmgraph.reporting.performance import OpenPipeline, Performance
from crmgraph.reporting.sales_report import Totals

TODAY = date(2026, 11, 28)


def test_the_last_months_end_with_this_one_and_cross_the_year() -> None:
    months = last_months(TODAY)
    assert len(months) == MONTHS <= bounds.DASHBOARD_POINTS
    assert months[0] == (date(2025, 12, 1), date(2026, 1, 1))
    assert months[-1] == (date(2026, 11, 1), date(2026, 12, 1))
    assert last_months(date(2026, 12, 31), 1) == [(date(2026, 12, 1), date(2027, 1, 1))]


def test_the_sales_dashboard_shows_the_figures_it_is_given() -> None:
    month = Performance(date(2026, 11, 1), TODAY, Totals(Decimal(500), 2, 2),
                        OpenPipeline(3, Decimal(900), Decimal("270.00")))  # fmt: skip
    quarter = Performance(date(2026, 10, 1), TODAY, Totals(Decimal(800), 3, 1), OpenPipeline())
    board = sales_dashboard(month, quarter, [(date(2026, 11, 1), Decimal(500))],
                            [("Lead", Decimal(900))])  # fmt: skip

    figures = {w.key: w.value for w in board.widgets if w.value is not None}
    assert figures == {
        "revenue_this_month": Decimal(500), "deals_won_this_month": Decimal(2),
        "win_rate_this_quarter": Decimal("75.0"), "revenue_this_quarter": Decimal(800),
        "open_pipeline": Decimal(900), "weighted_pipeline": Decimal("270.00"),
    }  # fmt: skip
    series = {w.key: [(p.label, p.value) for p in w.series] for w in board.widgets if w.series}
    assert series == {"revenue_by_month": [("2026-11", Decimal(500))],
                      "open_value_by_stage": [("Lead", Decimal(900))]}  # fmt: skip
    assert len(board.widgets) <= bounds.DASHBOARD_WIDGETS
