"""Zoho CRM notification (watch) callbacks, on /webhooks/zoho/crm.

An admin subscribes with Zoho CRM's Notification API (POST {api-domain}/crm/v8/actions/watch:
channel_id, events such as `Contacts.all`, notify_url, token). On each change Zoho CRM POSTs
a flat JSON object to the notify_url:

    {"server_time": 1764326400000, "module": "Contacts", "resource_uri": ".../crm/v8/Contacts",
     "ids": ["4150868000000624001", ...], "affected_fields": [{"<id>": ["Email"]}],
     "query_params": {"org_id": "..."}, "operation": "insert" | "update" | "delete",
     "channel_id": "1000000068001", "token": "<the subscription's token>"}

It carries ids, never field values: each id becomes one stored event (create, update or
delete at server_time, so a repeat is known by module, record, operation and time), and the
zoho-mapper fetches the record from Zoho CRM's REST API before it maps it (crm_api).

The organisation is the `org_id` query parameter of the notify_url (Zoho sends the URL as
registered, and echoes its parameters in query_params); the callback is authentic when its
`token` is one of that organisation's registered tokens (compared in constant time).
Answered 200.
"""

from __future__ import annotations

import json
from typing import Any

from crmgraph.zoho.formats.base import (
    Delivery,
    InboundEvent,
    Malformed,
    OrgKeys,
    any_token,
    event_time,
    operation,
    text,
)

NAME = "crm_notification"
# What tells a notification from a workflow webhook's JSON parameters.
MARKS = ("channel_id", "ids", "server_time")
# Kept with each stored event (under `$notification`: not a field of the record).
KEPT = ("channel_id", "resource_uri", "server_time", "operation")


class CrmNotification:
    name = NAME
    ack_status = 200

    def claims(self, delivery: Delivery) -> bool:
        if delivery.module != "crm" or delivery.is_form or b'"channel_id"' not in delivery.body:
            return False
        try:
            body = json.loads(delivery.body)
        except (json.JSONDecodeError, UnicodeDecodeError):
            return False
        return isinstance(body, dict) and all(key in body for key in MARKS)

    def read(self, delivery: Delivery) -> Any:
        body = delivery.json()
        if not isinstance(body, dict):
            raise Malformed("a Zoho CRM notification is a JSON object")
        return body

    def org_id(self, delivery: Delivery, body: Any) -> str | None:
        found = dict(delivery.query).get("org_id")
        echoed = body.get("query_params")
        if found is None and isinstance(echoed, dict):
            found = echoed.get("org_id")
        return text(found)

    def verify(self, delivery: Delivery, body: Any, org: OrgKeys) -> bool:
        given = body.get("token")
        return any_token(given if isinstance(given, str) else None, org.tokens)

    def events(self, delivery: Delivery, body: Any) -> list[InboundEvent]:
        module = text(body.get("module"))
        if module is None:
            raise Malformed("`module` (e.g. Contacts) is missing", field="module")
        ids = body.get("ids")
        if not isinstance(ids, list) or not ids or any(text(i) is None for i in ids):
            raise Malformed("`ids` is a non-empty list of record ids", field="ids")
        when = event_time(body.get("server_time"))
        if when is None:
            raise Malformed("`server_time` is epoch milliseconds", field="server_time")
        verb = operation(body.get("operation"))
        about = {key: body.get(key) for key in KEPT}
        return [
            InboundEvent(
                zoho_module=module[:64],
                operation=verb,
                record_id=str(text(record))[:128],
                event_time=when,
                fields={"$notification": {**about, "affected_fields": affected(body, record)}},
            )
            for record in dict.fromkeys(ids)
        ]


def affected(body: dict[str, Any], record: object) -> Any:
    """The fields Zoho says changed on record (update notifications list them per id)."""
    for item in body.get("affected_fields") or ():
        if isinstance(item, dict) and str(record) in item:
            return item[str(record)]
    return None


def is_notification(source_format: str) -> bool:
    """Whether a stored event came from a notification, so its record must be fetched."""
    return source_format == NAME


FORMAT = CrmNotification()
