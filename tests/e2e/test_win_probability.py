"""Deal.winProbability through the router on a hand-computed cohort, and tenant isolation
(README: Deal win probability)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from tests.e2e.sales_data import DAY, LEAD, LOST, PROPOSAL, WON, Spec, add_deals, add_pipeline
from tests.stack import Stack

QUERY = """query($id: ID!) { deal(id: $id) { winProbability {
  probability low high method basedOnDeals similarDealsWon similarDealsLost stageDeals
  stageDealsWon expectedValue expectedCloseDate
  riskFactors { factor impact mitigation evidence } successIndicators { factor strength evidence }
} } }"""

# 12 closed deals reached Proposal, all of value 5000: 8 won after 20 days there, each with
# one task; 2 lost after 5 days and 2 after 40, without tasks.
WON_DEAL = Spec(value=5000, path=[(LEAD, 50 * DAY), (PROPOSAL, 40 * DAY), (WON, 20 * DAY)],
                status="WON", closed=20 * DAY, tasks=1)  # fmt: skip
QUICK_LOSS = Spec(value=5000, path=[(LEAD, 50 * DAY), (PROPOSAL, 40 * DAY), (LOST, 35 * DAY)],
                  status="LOST", closed=35 * DAY)  # fmt: skip
SLOW_LOSS = Spec(value=5000, path=[(LEAD, 50 * DAY), (PROPOSAL, 45 * DAY), (LOST, 5 * DAY)],
                 status="LOST", closed=5 * DAY)  # fmt: skip
HISTORY = [WON_DEAL] * 8 + [QUICK_LOSS] * 2 + [SLOW_LOSS] * 2
# In Proposal for 16 days with 2 tasks, expected to close in the past.
OPEN = Spec(value=5000, path=[(LEAD, 30 * DAY), (PROPOSAL, 16 * DAY)], tasks=2,
            expected=datetime(2020, 1, 15, tzinfo=UTC))  # fmt: skip


def probability(stack: Stack, tenant: str, deal: object) -> Any:
    body = stack.graphql(QUERY, {"id": str(deal)}, tenant=tenant).json()
    assert body.get("errors") is None, body
    return body["data"]["deal"]["winProbability"]


def test_estimate_from_the_tenants_closed_deals(stack: Stack, tenant: str) -> None:
    pipeline = stack.call(lambda: add_pipeline(stack, tenant))
    stack.call(lambda: add_deals(stack, tenant, pipeline, HISTORY))
    (deal,) = stack.call(lambda: add_deals(stack, tenant, pipeline, [OPEN]))
    # Another tenant's lost deals, written against this pipeline, never count.
    stack.call(lambda: add_deals(stack, f"{tenant}_b", pipeline, [QUICK_LOSS] * 10))

    found = probability(stack, tenant, deal)

    # Stage: 8 of 12 won, (8 + 10 x 0.5) / 22 = 13/22. Similar (value under 10,000, 1 or 2
    # activities, 14 days or more in Proposal): the 8 won. (8 + 10 x 13/22) / 18 = 0.772727;
    # Wilson n = 18: centre 0.724759, half 0.182181.
    assert found["method"] == "HISTORY"
    assert found["probability"] == pytest.approx(0.772727, abs=1e-6)
    assert found["low"] == pytest.approx(0.542578, abs=1e-6)
    assert found["high"] == pytest.approx(0.906939, abs=1e-6)
    assert (found["basedOnDeals"], found["similarDealsWon"], found["similarDealsLost"]) == (8, 8, 0)
    assert (found["stageDeals"], found["stageDealsWon"]) == (12, 8)
    assert found["expectedValue"] == pytest.approx(5000 * 0.772727, abs=0.01)
    assert found["riskFactors"] == [{
        "factor": "overdue", "impact": "high",
        "mitigation": "Confirm the close date with the buyer and update it",
        "evidence": "expected to close on 2020-01-15, still open",
    }]  # fmt: skip
    assert found["successIndicators"] == [
        {"factor": "high_engagement", "strength": "strong",
         "evidence": "2 activities; won deals that reached Proposal had 1.0 on average"},
        {"factor": "strong_similar_deals", "strength": "strong",
         "evidence": "similar deals won 8 of 8 (100%); all deals that reached Proposal won "
                     "8 of 12 (67%)"},
    ]  # fmt: skip


def test_thin_history_and_closed_deals(stack: Stack, tenant: str) -> None:
    pipeline = stack.call(lambda: add_pipeline(stack, tenant))
    # 9 closed deals reached Proposal: below the minimum of 10.
    stack.call(lambda: add_deals(stack, tenant, pipeline, HISTORY[:9]))
    straight_won = Spec(value=100, path=[(LEAD, 3 * DAY), (WON, DAY)], status="WON", closed=DAY)
    deal, won = stack.call(lambda: add_deals(stack, tenant, pipeline, [OPEN, straight_won]))

    thin = probability(stack, tenant, deal)
    assert (thin["method"], thin["probability"], thin["low"], thin["high"]) == (
        "STAGE_PROBABILITY", 0.5, None, None,
    )  # fmt: skip
    assert (thin["stageDeals"], thin["stageDealsWon"]) == (9, 8)
    closed = probability(stack, tenant, won)
    assert (closed["method"], closed["probability"], closed["riskFactors"]) == ("CLOSED", 1.0, [])


def test_many_deals_share_one_batch(stack: Stack, tenant: str) -> None:
    pipeline = stack.call(lambda: add_pipeline(stack, tenant))
    stack.call(lambda: add_deals(stack, tenant, pipeline, HISTORY))
    counts, made = {}, 0
    for n in (2, 12):
        more = [OPEN] * (n - made)
        stack.call(lambda: add_deals(stack, tenant, pipeline, more))  # noqa: B023
        made = n
        with stack.counting_statements() as statements:
            body = stack.graphql(
                "{ deals(first: 100, filter: {status: ACTIVE}) { edges { node { "
                "winProbability { method } } } } }", tenant=tenant,
            ).json()  # fmt: skip
        assert body.get("errors") is None, body
        assert len(body["data"]["deals"]["edges"]) == n
        counts[n] = statements[0]
    assert counts[12] == counts[2], counts
