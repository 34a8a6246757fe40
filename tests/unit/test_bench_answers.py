"""bench/answers.py (issue 11, item 15): the targets' verified answers must agree once
brought to one form; a number's formatting is no difference, a value is."""

from __future__ import annotations

import json

import pytest

from bench.answers import agree

DEAL = {"id": "d1", "title": "Deal 1", "stage": "Proposal", "probability": 40}
CONTACT = {"fullName": "Ann Lee", "email": "a@x.example", "account": {"name": "Acme"}}
ACCOUNT = {"name": "Acme", "industry": "Retail"}


def ours(value: object, **changes: object) -> bytes:
    return json.dumps({"data": {"deal": {**DEAL, "value": value, **changes}}}).encode()


def postgraphile(value: object) -> bytes:
    node = {"rowId": "d1", "title": "Deal 1", "value": value, "probability": 40,
            "pipelineStageByStageId": {"name": "Proposal"}}  # fmt: skip
    return json.dumps({"data": {"allDeals": {"nodes": [node]}}}).encode()


def test_the_same_deal_in_each_targets_format_agrees() -> None:
    agree(
        "deal_by_id",
        {
            "router": [ours(48000)],
            "subgraph": [ours(48000.0)],
            "postgraphile": [postgraphile("48000.00")],
            "sql": [ours("48000.00")],
        },
    )


@pytest.mark.parametrize(
    "target, other",
    [
        ("sql", ours(48001)),
        ("sql", ours(48000, title="Deal 2")),
        ("subgraph", ours(48000, stage="Won")),
        ("postgraphile", postgraphile("4800")),
    ],
)
def test_a_different_value_is_a_disagreement(target: str, other: bytes) -> None:
    first = postgraphile(48000) if target == "postgraphile" else ours(48000)
    with pytest.raises(RuntimeError, match=f"{target} and router disagree on body 2"):
        agree("deal_by_id", {"router": [ours(48000)] * 2, target: [first, other]})


def test_the_page_in_each_targets_format_agrees_and_a_missing_deal_does_not() -> None:
    deal = {"title": "Deal 1", "value": 5, "stage": "Lead", "contact": CONTACT,
            "account": ACCOUNT}  # fmt: skip
    node = {"title": "Deal 1", "value": "5.00", "pipelineStageByStageId": {"name": "Lead"},
            "contactByContactId": {"firstName": "Ann", "lastName": "Lee",
                                   "email": "a@x.example", "accountByAccountId": {"name": "Acme"}},
            "accountByAccountId": ACCOUNT}  # fmt: skip
    router = json.dumps({"data": {"deals": {"edges": [{"node": deal}] * 2}}}).encode()
    pg = json.dumps({"data": {"allDeals": {"nodes": [node] * 2}}}).encode()
    sql = json.dumps({"data": {"deals": [deal] * 2}}).encode()
    agree("deals_page_50", {"router": [router], "postgraphile": [pg], "sql": [sql]})
    short = json.dumps({"data": {"deals": [deal]}}).encode()
    with pytest.raises(RuntimeError, match="sql and router disagree"):
        agree("deals_page_50", {"router": [router], "sql": [short]})
