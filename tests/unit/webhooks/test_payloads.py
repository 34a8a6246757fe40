"""Delivery bodies follow the API design's webhook payload examples."""

from __future__ import annotations

import json
import uuid
from typing import Any

from crmgraph.events.bus import BusEvent
from crmgraph.webhooks import payloads

ACTOR, DEAL, LEAD = str(uuid.uuid4()), str(uuid.uuid4()), str(uuid.uuid4())


def event(topic: str, payload: dict[str, Any]) -> BusEvent:
    return BusEvent(id=7, event_id=str(uuid.uuid4()), topic=topic, tenant_id="acme",
                    aggregate_id=str(uuid.uuid4()), sequence=1, payload=payload,
                    created_at="2026-11-28T10:30:00+00:00")  # fmt: skip


def test_stage_change_carries_the_deal_with_its_stages_and_why() -> None:
    moved = event("deal.stage_changed", {
        "version": 1, "actor_id": ACTOR, "deal": {"id": DEAL, "value": "75000.00"},
        "from_stage_id": "s1", "to_stage_id": "s2", "from_stage_name": "Proposal",
        "to_stage_name": "Closed Won", "reason": "Customer signed contract",
    })  # fmt: skip

    body = payloads.event_body(moved)

    assert body == {
        "event_id": moved.event_id,
        "event_type": "deal.stage_changed",
        "timestamp": "2026-11-28T10:30:00Z",
        "tenant_id": "acme",
        "data": {
            "deal": {"id": DEAL, "value": "75000.00", "previous_stage": "Proposal",
                     "current_stage": "Closed Won", "previous_stage_id": "s1",
                     "current_stage_id": "s2"},
            "change_info": {"changed_by": {"id": ACTOR}, "reason": "Customer signed contract"},
        },
    }  # fmt: skip


def test_lead_conversion_names_what_it_made() -> None:
    lead = {"id": LEAD, "first_name": "Jane", "last_name": "Smith", "qualification_notes": "ok"}
    converted = event("lead.converted", {
        "version": 1, "actor_id": None, "lead": lead,
        "conversion": {"contact_id": "c1", "account_id": None, "deal_id": "d1"},
    })  # fmt: skip

    data = payloads.event_body(converted)["data"]

    assert data["lead"]["name"] == "Jane Smith"
    assert data["conversion_result"] == {
        "contact_created": {"id": "c1"},
        "account_created": None,
        "deal_created": {"id": "d1"},
    }
    assert data["conversion_info"] == {"converted_by": None, "qualification_notes": "ok"}


def test_other_events_carry_their_row_without_the_codec_version() -> None:
    created = event("contact.created", {"version": 1, "actor_id": ACTOR, "contact": {"id": "x"}})

    data = payloads.event_body(created)["data"]

    assert data == {"contact": {"id": "x"}, "change_info": {"changed_by": {"id": ACTOR}}}


def test_encoding_is_compact_utf8_json() -> None:
    assert payloads.encode({"a": "é", "b": [1]}) == '{"a":"é","b":[1]}'.encode()
    assert json.loads(payloads.encode({"x": 1})) == {"x": 1}
