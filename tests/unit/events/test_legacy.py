"""Outbox rows written before typed payloads (version 0) are read as they are.

tests/data/outbox_v0_payloads.json holds one such payload per topic (activity.created of a
communication too), written by main's outbox.record() and snapshot() as they were before
typed events (run on rows in an in-memory SQLite database, read back from its JSON column).
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from uuid import UUID

from crmgraph.events import codec, lead_payloads, payloads
from crmgraph.events.payloads import PAYLOADS
from crmgraph.events.topics import Topic

ROWS = json.loads((Path(__file__).parents[2] / "data" / "outbox_v0_payloads.json").read_text())
ACTOR = UUID(int=99)
# Topics added after payloads were typed: no version-0 row of theirs was ever written.
BORN_TYPED = {
    Topic.ZOHO_RECORD_RECEIVED,
    Topic.CAMPAIGN_CREATED,
    Topic.CAMPAIGN_UPDATED,
    Topic.TOUCHPOINT_RECORDED,
    Topic.ACCOUNT_RELATIONSHIP_DELETED,
    Topic.DEAL_AUTOMATION,
}


def decoded(topic: str, index: int = 0) -> payloads.Payload:
    bodies = [row["payload"] for row in ROWS if row["topic"] == topic]
    return codec.decode(topic, bodies[index])


def test_every_topic_of_old_rows_decodes() -> None:
    assert {row["topic"] for row in ROWS} == set(Topic) - BORN_TYPED
    for row in ROWS:
        payload = codec.decode(row["topic"], row["payload"])
        assert type(payload) is PAYLOADS[Topic(row["topic"])]
        # ...and is a version-1 payload from then on.
        assert codec.decode(row["topic"], codec.encode(payload)) == payload


def test_old_money_is_exact_and_old_nulls_are_none() -> None:
    moved = decoded("deal.stage_changed")

    assert isinstance(moved, payloads.DealStageChanged)
    assert moved.deal.value == Decimal("1234567.89")  # was the float 1234567.89
    assert moved.from_stage_id is None  # was the string "None"
    assert moved.to_stage_id == UUID(int=7) and moved.to_stage_name == "Won"
    assert moved.deal.expected_close_date is None and moved.actor_id == ACTOR


def test_old_rows_keep_what_they_said() -> None:
    scored = decoded("lead.scored")
    converted = decoded("lead.converted")
    created = decoded("pipeline.created")
    due = decoded("task.due")
    key = decoded("api_key.created")

    assert isinstance(scored, lead_payloads.LeadScored)
    assert (scored.previous_score, scored.new_score) == (40, 55)
    assert scored.factors == [lead_payloads.ScoreFactor(factor="fit", points=15, reason=None)]
    assert isinstance(converted, lead_payloads.LeadConverted)
    assert converted.conversion == lead_payloads.Conversion(
        contact_id=UUID(int=4), account_id=UUID(int=1), deal_id=None
    )
    assert isinstance(created, payloads.PipelineCreated)
    assert [s.name for s in created.stages] == ["New", "Won"]
    assert created.stages[0].automation_rules == [{"trigger": "x"}]
    assert isinstance(due, payloads.TaskDue) and due.actor_id is None
    assert isinstance(key, payloads.ApiKeyCreated) and key.api_key.key == "ck_x_abc"


def test_an_old_activity_is_of_its_kind() -> None:
    kinds = [
        type(codec.decode(row["topic"], row["payload"]).activity).__name__  # type: ignore[attr-defined]
        for row in ROWS
        if row["topic"].startswith("activity.")
    ]

    assert kinds == ["TaskState", "EventState", "CommunicationState", "CommunicationState"]


def test_a_column_added_since_is_null_in_old_rows() -> None:
    body = next(r["payload"] for r in ROWS if r["topic"] == "activity.updated")
    body = body | {"data": {k: v for k, v in body["data"].items() if k != "owner_id"}}

    payload = codec.decode("activity.updated", body)

    assert isinstance(payload, payloads.ActivityUpdated)
    assert isinstance(payload.event, payloads.states.EventState)
    assert payload.event.owner_id is None
