"""The event codec: every topic's payload survives the outbox and the bus exactly."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from uuid import UUID, uuid4

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crmgraph.events import codec, lead_payloads, payloads, states
from crmgraph.events.bus import BusEvent
from crmgraph.events.envelope import Envelope
from crmgraph.events.payloads import PAYLOADS, Payload
from crmgraph.events.stream import readable
from crmgraph.events.topics import Topic
from tests.unit.events.strategies import payloads as payloads_of

T0 = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)


def published(payload: Payload) -> Payload:
    """payload as a subscriber gets it: into the outbox's JSON, onto the bus as text, back."""
    stored = json.loads(json.dumps(codec.encode(payload)))  # the JSON column's round trip
    event = BusEvent(
        id=1, event_id=str(uuid4()), topic=payload.TOPIC.value, tenant_id="acme",
        aggregate_id=str(uuid4()), sequence=1, payload=stored, created_at=T0.isoformat(),
    )  # fmt: skip
    return Envelope.of(BusEvent.decode(event.encode())).payload


@pytest.mark.parametrize("topic", list(Topic))
@settings(max_examples=20, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(data=st.data())
def test_every_topic_round_trips_exactly(topic: Topic, data: st.DataObject) -> None:
    payload = data.draw(payloads_of(PAYLOADS[topic]))

    assert published(payload) == payload
    assert type(published(payload)) is PAYLOADS[topic]


def test_every_topic_has_exactly_one_payload_class() -> None:
    names = {**vars(payloads), **vars(lead_payloads)}  # the leads' payloads live apart
    classes = [c for c in names.values() if isinstance(c, type) and "TOPIC" in vars(c)]

    assert sorted(c.TOPIC for c in classes) == sorted(Topic)
    assert {topic: cls.TOPIC for topic, cls in PAYLOADS.items()} == {t: t for t in Topic}


def deal(**changes: object) -> states.DealState:
    state = states.DealState(
        id=uuid4(), tenant_id="acme", created_at=T0, updated_at=T0, title="Big",
        value=Decimal("1234567.89"), currency="EUR", pipeline_id=uuid4(), stage_id=uuid4(),
        probability=10, status="ACTIVE", expected_close_date=None, actual_close_date=None,
        description=None, custom_fields=None, contact_id=None, account_id=None,
        owner_id=None, stage_entered_at=T0,
    )  # fmt: skip
    return replace(state, **changes)  # type: ignore[arg-type]


def test_money_ids_times_and_nulls_keep_their_types() -> None:
    payload = payloads.DealUpdated(deal=deal(value=Decimal("12345678901234567.89")))

    body = codec.encode(payload)
    back = published(payload)

    assert body["deal"]["value"] == "12345678901234567.89"  # a string: never a float
    assert isinstance(back, payloads.DealUpdated)
    assert back.deal.value == Decimal("12345678901234567.89")
    assert isinstance(back.deal.id, UUID) and back.deal.expected_close_date is None
    assert back.deal.created_at == T0 and back.actor_id is None


def test_an_absent_activity_stays_absent() -> None:
    task = states.TaskState(
        id=uuid4(), tenant_id="acme", created_at=T0, updated_at=T0, related_type=None,
        related_id=None, title="Call", description=None, due_date=None, priority="LOW",
        status="PENDING", assigned_to_id=None, completed_at=None, due_notified_at=None,
    )  # fmt: skip
    payload = payloads.ActivityCreated(task=task)

    body = codec.encode(payload)

    assert "event" not in body and "communication" not in body
    assert published(payload) == payload
    with pytest.raises(ValueError, match="one activity"):
        payloads.ActivityCreated()


def test_an_unknown_version_is_a_clear_error() -> None:
    body = codec.encode(payloads.DealUpdated(deal=deal())) | {"version": 7}

    with pytest.raises(codec.PayloadError, match=r"deal.updated payload version 7 is unknown"):
        codec.decode("deal.updated", body)


def test_an_unknown_topic_or_a_wrong_field_is_a_clear_error() -> None:
    body = codec.encode(payloads.DealUpdated(deal=deal()))

    with pytest.raises(codec.PayloadError, match=r"unknown event topic 'deal\.exploded'"):
        codec.decode("deal.exploded", body)
    with pytest.raises(codec.PayloadError, match=r"deal.updated payload version 1: .*value"):
        codec.decode("deal.updated", body | {"deal": body["deal"] | {"value": "lots"}})


def test_a_listener_skips_an_event_it_cannot_read(caplog: pytest.LogCaptureFixture) -> None:
    body, event_id = codec.encode(payloads.DealUpdated(deal=deal())), str(uuid4())
    event = BusEvent(
        id=1, event_id=event_id, topic="deal.updated", tenant_id="acme", aggregate_id=str(uuid4()),
        sequence=1, payload=body | {"version": 2}, created_at=T0.isoformat(),
    )  # fmt: skip

    assert readable(event) is None
    assert f"event {event_id} skipped: deal.updated payload version 2 is unknown" in caplog.text
    assert readable(replace(event, payload=body)) is not None
