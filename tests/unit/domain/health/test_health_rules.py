"""Customer health rules: README's worked example, each component's boundaries, weights,
status thresholds, signals and the monthly trend."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from crmgraph.domain.health import (
    DEFAULT_WEIGHTS,
    AccountFacts,
    DealFact,
    StageVisit,
    SupportTicketEvent,
    TaskFact,
    Weights,
    assess,
    checked_weights,
)
from crmgraph.domain.health.components import delivery, engagement, financial, support
from crmgraph.domain.health.report import status_of
from crmgraph.errors import DomainError
from tests.unit.domain.health.example import EXAMPLE, NOW, day

SPEC = json.loads((Path(__file__).parents[3] / "data" / "customer_health_000.json").read_text())
EMPTY = AccountFacts(account_id=EXAMPLE.account_id, name="Empty")


def points(component: object) -> dict[str, float]:
    return {f.name: f.points for f in component.factors}  # type: ignore[attr-defined]


def test_worked_example_of_the_readme() -> None:
    report = assess(EXAMPLE, NOW)
    scores = {c.component.name: c.component.score for c in report.components}
    assert scores == {"support": 70.0, "financial": 90.0, "delivery": 67.7, "engagement": 72.0}
    assert report.score == 76.6  # (30*70 + 35*90 + 25*67.7 + 10*72) / 100 = 76.625
    assert report.status == "healthy"
    assert points(report.of("delivery"))["stage_pace"] == 31.67  # 40 * 31.667 / 40 days
    assert [(m.month, m.score) for m in report.trend][-2:] == [("2026-05", 85.8), ("2026-06", 76.6)]
    assert (report.previous_score, report.direction) == (85.8, "declining")
    assert [(r.type, r.severity) for r in report.risks] == [("overdue_tasks", "low")]
    [upsell] = report.opportunities
    assert (upsell.type, upsell.confidence, upsell.estimated_value) == ("upsell", 72, 40000.0)


def test_default_weights_are_the_specs() -> None:
    spec = SPEC["score_breakdown_weights"]
    ours = DEFAULT_WEIGHTS
    names = ("support_health", "financial_health", "project_health", "engagement_health")
    assert (ours.support, ours.financial, ours.delivery, ours.engagement) == tuple(
        spec[name] for name in names
    )


def test_weights_change_the_overall_score_only() -> None:
    only_support = assess(EXAMPLE, NOW, Weights(1, 0, 0, 0))
    assert only_support.score == 70.0
    doubled = assess(EXAMPLE, NOW, Weights(60, 70, 50, 20))
    assert doubled.score == assess(EXAMPLE, NOW).score
    assert [c.weight for c in only_support.components] == [1, 0, 0, 0]


@pytest.mark.parametrize("bad", [(-1, 1, 1, 1), (0, 0, 0, 0), (float("nan"), 1, 1, 1),
                                 (float("inf"), 1, 1, 1)])  # fmt: skip
def test_bad_weights_are_refused(bad: tuple[float, float, float, float]) -> None:
    with pytest.raises(DomainError) as caught:
        checked_weights(*bad)
    assert caught.value.code == "VALIDATION_ERROR"


def test_zero_weights_are_allowed_if_one_is_positive() -> None:
    assert checked_weights(0, 0, 0, 5).total == 5


def tickets(n: int, at_days_ago: float = 1) -> tuple[SupportTicketEvent, ...]:
    return tuple(SupportTicketEvent(str(i), NOW - timedelta(days=at_days_ago)) for i in range(n))


def test_support_ticket_window_is_the_last_30_days() -> None:
    inside = replace(EMPTY, support=tickets(1, 30 - 1e-6))
    outside = replace(EMPTY, support=tickets(1, 30))
    assert support(inside, NOW).score == 90.0
    assert support(outside, NOW).score == 100.0


def test_support_penalties_are_capped() -> None:
    overdue = tuple(TaskFact(day(1, 1), day(2, 1), None) for _ in range(9))
    facts = replace(EMPTY, support=tickets(9), tasks=overdue)
    assert points(support(facts, NOW)) == {"tickets_last_30d": -50.0, "overdue_tasks": -50.0}
    assert support(facts, NOW).score == 0.0


def test_a_task_is_overdue_only_while_open_past_its_due_date() -> None:
    due = day(6, 1)
    assert TaskFact(day(5, 1), due, None).overdue_at(due + timedelta(seconds=1))
    assert not TaskFact(day(5, 1), due, None).overdue_at(due)
    assert not TaskFact(day(5, 1), due, day(6, 2)).overdue_at(day(6, 3))
    assert TaskFact(day(5, 1), due, day(6, 5)).overdue_at(day(6, 3))
    assert not TaskFact(day(5, 1), due, None, cancelled=True).overdue_at(day(6, 3))
    assert not TaskFact(day(5, 1), None, None).overdue_at(day(6, 3))


def deal(value: int, status: str, closed_days_ago: float | None, probability: int = 50,
         stage_days: float = 1) -> DealFact:  # fmt: skip
    closed = None if closed_days_ago is None else NOW - timedelta(days=closed_days_ago)
    made = NOW - timedelta(days=400)
    return DealFact(Decimal(value), status, made, closed,
                    (StageVisit(NOW - timedelta(days=stage_days), probability),))  # fmt: skip


def test_financial_with_nothing_closed_is_neutral() -> None:
    assert financial(EMPTY, NOW).score == 25.0
    assert financial(replace(EMPTY, deals=(deal(5, "ACTIVE", None),)), NOW).score == 45.0


def test_financial_counts_closed_deals_of_the_last_365_days() -> None:
    old_win = replace(EMPTY, deals=(deal(100, "WON", 365), deal(100, "LOST", 364)))
    assert points(financial(old_win, NOW))["win_rate_365d"] == 0.0
    assert financial(old_win, NOW).score == 0.0
    all_won = replace(EMPTY, deals=(deal(100, "WON", 364), deal(5, "ACTIVE", None)))
    assert financial(all_won, NOW).score == 100.0


def test_delivery_without_open_deals_is_neutral() -> None:
    assert delivery(EMPTY, NOW).score == 50.0


def test_delivery_pace_falls_after_the_average_stay_and_flags_stalls() -> None:
    on_time = replace(EMPTY, deals=(deal(1, "ACTIVE", None, 50, stage_days=30),))
    assert delivery(on_time, NOW).score == 70.0  # 60 * 0.5 + 40 * 1 (30 days: the default)
    late = replace(EMPTY, deals=(deal(1, "ACTIVE", None, 50, stage_days=61),))
    report = delivery(late, NOW)
    assert points(report)["stage_pace"] == round(40 * 30 / 61, 2)
    assert {f.name: f.value for f in report.factors}["stalled_deals"] == 1


@pytest.mark.parametrize(("days_ago", "recency"), [(7, 60.0), (7.01, 45.0), (30, 45.0),
                                                   (31, 20.0), (90, 20.0), (91, 0.0)])  # fmt: skip
def test_engagement_recency_steps(days_ago: float, recency: float) -> None:
    facts = replace(EMPTY, interactions=(NOW - timedelta(days=days_ago),))
    assert points(engagement(facts, NOW))["days_since_last_interaction"] == recency


def test_engagement_frequency_is_capped_and_ignores_the_future() -> None:
    many = tuple(NOW - timedelta(days=i) for i in range(1, 20))
    future = (NOW + timedelta(days=1),)
    assert engagement(replace(EMPTY, interactions=many + future), NOW).score == 100.0
    assert engagement(replace(EMPTY, interactions=future), NOW).score == 0.0


@pytest.mark.parametrize(("score", "status"), [(100, "healthy"), (70, "healthy"),
                         (69.9, "at_risk"), (40, "at_risk"), (39.9, "critical"),
                         (0, "critical")])  # fmt: skip
def test_status_thresholds(score: float, status: str) -> None:
    assert status_of(score) == status


def test_no_data_is_at_risk_and_disengaged() -> None:
    report = assess(EMPTY, NOW)
    assert report.score == 51.3  # (30*100 + 35*25 + 25*50 + 10*0) / 100 = 51.25, half up
    assert report.status == "at_risk"
    assert ("disengagement", "high") in [(r.type, r.severity) for r in report.risks]
    assert report.opportunities == ()


def test_trend_scores_each_month_as_of_its_end() -> None:
    report = assess(EXAMPLE, NOW, months=3)
    assert [m.month for m in report.trend] == ["2026-04", "2026-05", "2026-06"]
    may_end = day(6, 1) - timedelta(microseconds=1)
    assert report.trend[1].score == assess(EXAMPLE, may_end, months=1).score
    january = assess(EXAMPLE, day(1, 20), months=2)
    assert [m.month for m in january.trend] == ["2025-12", "2026-01"]


def test_declining_health_is_a_risk() -> None:
    # Interactions stop: the account was engaged last month, not now.
    facts = replace(EXAMPLE, interactions=(day(5, 30),), support=tickets(5))
    report = assess(facts, NOW)
    assert report.previous_score is not None
    assert report.previous_score - report.score >= 10
    assert "declining_health" in [r.type for r in report.risks]
    assert report.direction == "declining"


def test_the_average_stay_is_at_least_a_day() -> None:
    quick = DealFact(Decimal(1), "ACTIVE", NOW - timedelta(days=3), None,
                     (StageVisit(NOW - timedelta(days=3), 10),
                      StageVisit(NOW - timedelta(days=3, seconds=-60), 20),
                      StageVisit(NOW - timedelta(days=2), 50)))  # fmt: skip
    report = delivery(replace(EMPTY, deals=(quick,)), NOW)
    # stays of 1 minute and ~1 day: average 0.5 days, floored to 1; 2 days in stage now
    assert points(report)["stage_pace"] == 20.0
