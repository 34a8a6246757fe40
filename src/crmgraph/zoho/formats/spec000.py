"""The webhook format of the product specification (000 "Webhook Processing Architecture").

Body: one event object, or a JSON array of them (a batch), each
`{event_type, module, timestamp, org_id, webhook_id, retry_count, data: {id, entity_type,
operation, resource_uri, changed_fields, details: {...}}, blueprint_context?, context?}`.
Headers: `X-Zoho-Org-Id` names the organisation (else the body's `org_id`),
`X-Zoho-Signature: sha256=<hex>` is HMAC-SHA256 of the raw body with its secret.
An event's fields are data.details as sent, plus the rest of the event (event_type,
changed_fields, blueprint_context, context, ... : unknown keys included) under `$webhook`.
Answered 202 with 000's response body.
"""

from __future__ import annotations

import re
from typing import Any

from crmgraph.zoho.formats.base import (
    Delivery,
    InboundEvent,
    Malformed,
    OrgKeys,
    event_time,
    hmac_hex,
    operation,
    same,
    text,
)

SIGNATURE = "x-zoho-signature"
ORG_HEADER = "x-zoho-org-id"
# /crm/v2/Contacts/3652397000000523001 names Zoho's module: Contacts.
RESOURCE = re.compile(r"^/?[a-z]+/v\d+/([A-Za-z_]+)/")


class Spec000:
    name = "spec000"
    ack_status = 202

    def claims(self, delivery: Delivery) -> bool:
        return SIGNATURE in delivery.headers

    def read(self, delivery: Delivery) -> Any:
        body = delivery.json()
        items = body if isinstance(body, list) else [body]
        if not items or not all(isinstance(item, dict) for item in items):
            raise Malformed("the body is an event object or a non-empty array of them")
        return items

    def org_id(self, delivery: Delivery, body: Any) -> str | None:
        named = delivery.headers.get(ORG_HEADER) or text(body[0].get("org_id"))
        return named.strip() if named else None

    def verify(self, delivery: Delivery, body: Any, org: OrgKeys) -> bool:
        if not org.secret:
            return False
        given = delivery.headers.get(SIGNATURE, "").strip()
        given = given.removeprefix("sha256=")
        return same(given.lower(), hmac_hex(org.secret, delivery.body))

    def events(self, delivery: Delivery, body: Any) -> list[InboundEvent]:
        return [self._event(item, index) for index, item in enumerate(body)]

    @staticmethod
    def _event(item: dict[str, Any], index: int) -> InboundEvent:
        data = item.get("data")
        if not isinstance(data, dict):
            raise Malformed("each event needs a `data` object", field=f"[{index}].data")
        details = data.get("details")
        if details is not None and not isinstance(details, dict):
            raise Malformed("`data.details` is an object", field=f"[{index}].data.details")
        record_id = text(data.get("id"))
        if record_id is None:  # no record to apply: refused now rather than dead later
            raise Malformed(
                "each event needs `data.id`, the record's id", field=f"[{index}].data.id"
            )
        envelope = {k: v for k, v in item.items() if k != "data"}
        envelope["data"] = {k: v for k, v in data.items() if k != "details"}
        kind = item.get("event_type")
        verb = kind.split(".", 1)[-1] if isinstance(kind, str) and "." in kind else None
        return InboundEvent(
            zoho_module=_zoho_module(data, kind),
            operation=operation(data.get("operation") or verb),
            record_id=record_id,
            event_time=event_time(item.get("timestamp")),
            fields={**(details or {}), "$webhook": envelope},
            webhook_id=text(item.get("webhook_id")),
        )


def _zoho_module(data: dict[str, Any], kind: object) -> str:
    uri = data.get("resource_uri")
    match = RESOURCE.match(uri) if isinstance(uri, str) else None
    if match:
        return match.group(1)
    entity = text(data.get("entity_type"))
    if entity:
        return entity[:64]
    return kind.split(".", 1)[0][:64] if isinstance(kind, str) and kind else "unknown"


FORMAT = Spec000()
