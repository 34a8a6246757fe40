"""Zoho CRM notification (watch) callbacks (tests/data/zoho/crm_notification_contacts.json):
told from workflow webhooks by their body, the organisation read from the notify URL,
verified by the subscription's token, split into one event per id with no services."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from crmgraph.zoho.formats import Delivery, Malformed, OrgKeys, choose, crm_notification

DATA = Path(__file__).parents[2] / "data" / "zoho"
TOKEN = "TOKEN_FOR_VERIFICATION_OF_1000000068001"
ORG = OrgKeys("12345678", None, ("another-token-000001", TOKEN))
JSON = {"content-type": "application/json"}


def callback(query: str = "org_id=12345678", **changes: Any) -> Delivery:
    body = {**json.loads((DATA / "crm_notification_contacts.json").read_text()), **changes}
    pairs = tuple(tuple(p.split("=", 1)) for p in query.split("&") if p)
    return Delivery("crm", "POST", JSON, pairs, json.dumps(body).encode())  # type: ignore[arg-type]


def test_a_callback_is_claimed_and_split_into_one_event_per_id() -> None:
    delivery = callback()
    form = choose(delivery)
    body = form.read(delivery)

    assert form is crm_notification.FORMAT and form.ack_status == 200
    assert form.org_id(delivery, body) == "12345678"
    assert form.verify(delivery, body, ORG)
    events = form.events(delivery, body)
    at = datetime(2026, 11, 28, 10, 40, tzinfo=UTC)
    assert [(e.zoho_module, e.operation, e.record_id, e.event_time) for e in events] == [
        ("Contacts", "update", f"415086800000062400{n}", at) for n in (1, 2, 3)
    ]
    assert events[0].fields["$notification"]["affected_fields"] == ["Email", "Phone"]
    assert "token" not in json.dumps(events[0].fields)
    keys = {e.dedupe_key("crm") for e in events}
    assert len(keys) == 3 and all(k.startswith("record:crm:Contacts:") for k in keys)


@pytest.mark.parametrize(("zoho", "ours"), [("insert", "create"), ("delete", "delete")])
def test_zohos_operation_words_become_ours(zoho: str, ours: str) -> None:
    delivery = callback(operation=zoho)
    body = crm_notification.FORMAT.read(delivery)
    assert {e.operation for e in crm_notification.FORMAT.events(delivery, body)} == {ours}


def test_the_org_may_come_from_the_echoed_query_params_only() -> None:
    delivery = callback(query="")
    body = crm_notification.FORMAT.read(delivery)
    assert crm_notification.FORMAT.org_id(delivery, body) == "12345678"


@pytest.mark.parametrize("token", ["TOKEN_FOR_VERIFICATION_OF_1000000068002", "", None, 7])
def test_a_wrong_or_missing_token_is_not_verified(token: object) -> None:
    delivery = callback(token=token)
    body = crm_notification.FORMAT.read(delivery)
    assert not crm_notification.FORMAT.verify(delivery, body, ORG)


def test_a_workflow_webhook_with_a_json_body_is_not_taken_for_a_notification() -> None:
    body = json.dumps({"org_id": "1", "token": TOKEN, "module": "Contacts", "id": "9",
                       "channel_id": "not a notification"}).encode()  # fmt: skip
    delivery = Delivery("crm", "POST", JSON, (), body)
    assert choose(delivery).name == "crm_workflow"


@pytest.mark.parametrize(
    ("changes", "field"),
    [({"ids": []}, "ids"), ({"ids": "4150868000000624001"}, "ids"), ({"ids": [None]}, "ids"),
     ({"module": None}, "module"), ({"server_time": "yesterday"}, "server_time")],
)  # fmt: skip
def test_a_callback_it_cannot_read_is_malformed(changes: dict[str, Any], field: str) -> None:
    delivery = callback(**changes)
    body = crm_notification.FORMAT.read(delivery)
    with pytest.raises(Malformed) as refused:
        crm_notification.FORMAT.events(delivery, body)
    assert refused.value.field == field
