"""Deal.winProbability asked through the router and compared with the cohort counts of
hand-written SQL (tests/e2e/report_sql.py) and the method of README "Deal win probability":
the closed deals that reached the stage, the similar ones among them (value band, activity
band, at least as long in the stage), two steps of shrinkage with 10 pseudo-deals, Wilson's
95% interval, and the risk factors and success indicators those counts give."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.e2e import report_sql as sql
from tests.e2e.report_checks import answer, near
from tests.stack import Stack

M = 10  # pseudo-deals of each shrinkage step
Z = 1.96
WIN = """query($ids: [ID!]) { deals(filter: {id: {in: $ids}}, first: 100) { edges { node {
  id winProbability { probability low high method basedOnDeals similarDealsWon
    similarDealsLost stageDeals stageDealsWon expectedValue
    riskFactors { factor impact evidence } successIndicators { factor strength evidence } }
} } } }"""


def wilson(p: float, n: float) -> tuple[float, float]:
    centre = (p + Z * Z / (2 * n)) / (1 + Z * Z / n)
    half = Z * math.sqrt(p * (1 - p) / n + Z * Z / (4 * n * n)) / (1 + Z * Z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def floor_days(days: int) -> int:
    """The fewest days of the deal's band (0-13, 14-29, 30-59, 60+)."""
    return max([0, *(bound for bound in (14, 30, 60) if days >= bound)])


def check_win_probabilities(stack: Stack, tenant: str, deals: list[str]) -> list[str]:
    """Each deal's estimate; returns the method of each."""
    before = datetime.now(UTC)
    found = answer(stack, tenant, WIN, ids=deals)["deals"]["edges"]
    after = datetime.now(UTC)
    assert sorted(e["node"]["id"] for e in found) == sorted(deals)
    methods = []
    for edge in found:
        deal, got = edge["node"]["id"], edge["node"]["winProbability"]
        facts = sql.deal_facts(stack, tenant, deal, before)
        # Whole days in the stage at the request: the same before and after it (a day
        # boundary crossed within the request would make the test ambiguous, not wrong).
        assert facts == sql.deal_facts(stack, tenant, deal, after), deal
        pipeline, stage, stage_p, status, value, acts, vband, aband, days = facts
        cohort = sql.win_cohort(stack, tenant, pipeline, stage, vband, aband, floor_days(days))
        won, lost, sim_won, sim_lost, won_days, won_acts = cohort
        assert (got["stageDeals"], got["stageDealsWon"], got["similarDealsWon"],
                got["similarDealsLost"], got["basedOnDeals"]) == (
            won + lost, won, sim_won, sim_lost, sim_won + sim_lost), deal  # fmt: skip
        prior = stage_p / 100
        if status != "ACTIVE":
            p = 1.0 if status == "WON" else 0.0
            expected: dict[str, Any] = {"method": "CLOSED", "probability": p, "low": p,
                                        "high": p}  # fmt: skip
        elif won + lost < 10:
            expected = {"method": "STAGE_PROBABILITY", "probability": prior, "low": None,
                        "high": None}  # fmt: skip
        else:
            stage_rate = (won + M * prior) / (won + lost + M)
            p = (sim_won + M * stage_rate) / (sim_won + sim_lost + M)
            low, high = wilson(p, sim_won + sim_lost + M)
            expected = {"method": "HISTORY", "probability": p, "low": low, "high": high}
        assert got["method"] == expected.pop("method"), deal
        assert {k: got[k] for k in expected} == {k: near(v) for k, v in expected.items()}, deal
        assert got["expectedValue"] == pytest.approx(float(value) * expected["probability"])
        if status == "ACTIVE":
            _check_reasons(got, days, acts, won_days, won_acts)
        methods.append(got["method"])
    return methods


def _check_reasons(
    got: dict[str, Any], days: int, acts: int, won_days: float | None, won_acts: float | None
) -> None:
    """The time-in-stage and engagement reasons, from the won deals' averages in SQL."""
    risks = {r["factor"]: r for r in got["riskFactors"]}
    signs = {s["factor"]: s for s in got["successIndicators"]}
    long_stay = won_days is not None and days > won_days
    assert ("long_time_in_stage" in risks) == long_stay, (got, won_days)
    if long_stay:
        assert won_days is not None
        risk = risks["long_time_in_stage"]
        assert risk["impact"] == ("high" if days > 2 * won_days else "medium")
        assert risk["evidence"].startswith(f"{days} days in ")
        assert risk["evidence"].endswith(f"after {won_days:.1f} days on average"), risk
    low = won_acts is not None and acts < won_acts
    assert ("low_engagement" in risks) == low, (got, won_acts)
    high = won_acts is not None and acts > 0 and acts >= won_acts
    assert ("high_engagement" in signs) == high, (got, won_acts)
    for reason in (risks.get("low_engagement"), signs.get("high_engagement")):
        if reason is not None:
            assert reason["evidence"].startswith(f"{acts} activities; ")
            assert reason["evidence"].endswith(f"had {won_acts:.1f} on average"), reason
