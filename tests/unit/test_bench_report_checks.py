"""bench/report_cases.py (issue 15's benchmark): an answer counts only when it is HTTP 200
with data, no errors, and the same as the first answer to its body, clock-driven fields
aside."""

from __future__ import annotations

from typing import Any

from bench.report_cases import problem

FIRST = {"data": {"pipelineAnalytics": {"end": "2026-11-29T01:00:00Z", "wonDeals": 7,
         "stages": [{"entered": 3, "averageDaysInStage": 10.0}]}}}  # fmt: skip


def answer(won: int = 7, days: float = 10.0, end: str = "2026-11-29T01:05:00Z") -> Any:
    return {"data": {"pipelineAnalytics": {"end": end, "wonDeals": won,
            "stages": [{"entered": 3, "averageDaysInStage": days}]}}}  # fmt: skip


def test_the_same_answer_later_is_correct() -> None:
    assert problem(200, FIRST, None) is None
    assert problem(200, answer(days=10.004), FIRST) is None  # the clock moved a stay on


def test_wrong_answers_are_caught() -> None:
    assert problem(500, FIRST, FIRST) == "HTTP 500"
    errors = {"data": None, "errors": [{"message": "boom"}]}
    assert "errors or no data" in (problem(200, errors, FIRST) or "")
    assert "a null answer" in (problem(200, {"data": {"pipelineAnalytics": None}}, None) or "")
    assert "differs" in (problem(200, answer(won=8), FIRST) or "")
    assert "differs" in (problem(200, answer(days=10.5), FIRST) or "")
