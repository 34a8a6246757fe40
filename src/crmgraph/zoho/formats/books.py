"""Zoho Books workflow webhooks (Settings > Automation > Workflow Actions > Webhooks), on
/webhooks/zoho/books.

Zoho Books sends the module's object: the default payload is JSON keyed by the module's
name (`{"invoice": {"invoice_id": ..., "last_modified_time": ...}}`); with a form body,
the fields are form parameters and `module` names the module. The organisation is the
`org_id` query parameter (or an `X-Zoho-Org-Id` header). The HTTP method says what happened
(POST new, PUT updated, DELETE deleted) unless an `operation` parameter says otherwise.

Authenticity: with a secret registered, `X-Zoho-Webhook-Signature` must be the hex
HMAC-SHA256, keyed with it, of the string Zoho's finance apps sign: the query and form
parameters sorted by key, each as key then value with nothing between, then the raw JSON
body. An organisation without a secret must send one of its tokens as the `token` query
parameter instead. Answered 200.
"""

from __future__ import annotations

from typing import Any

from crmgraph.zoho.formats.base import (
    Delivery,
    InboundEvent,
    Malformed,
    OrgKeys,
    any_token,
    event_time,
    hmac_hex,
    operation,
    same,
    text,
)

SIGNATURE = "x-zoho-webhook-signature"
METHODS = {"POST": "create", "PUT": "update", "DELETE": "delete"}
CONTROL = ("org_id", "token", "module", "operation")


def signed_string(delivery: Delivery) -> bytes:
    """What Zoho Books signs: sorted key-value pairs of query and form, then the raw JSON."""
    pairs = sorted([*delivery.query, *delivery.form()], key=lambda pair: pair[0])
    joined = "".join(f"{key}{value}" for key, value in pairs).encode()
    return joined if delivery.is_form else joined + delivery.body


class Books:
    name = "books"
    ack_status = 200

    def claims(self, delivery: Delivery) -> bool:
        return delivery.module == "books"

    def read(self, delivery: Delivery) -> Any:
        if delivery.is_form:
            return dict(delivery.form())
        body = delivery.json()
        if not isinstance(body, dict):
            raise Malformed("a Zoho Books webhook body is a JSON object")
        return body

    def org_id(self, delivery: Delivery, body: Any) -> str | None:
        return text(delivery.headers.get("x-zoho-org-id") or dict(delivery.query).get("org_id"))

    def verify(self, delivery: Delivery, body: Any, org: OrgKeys) -> bool:
        if org.secret:
            expected = hmac_hex(org.secret, signed_string(delivery))
            return same(delivery.headers.get(SIGNATURE, "").strip().lower(), expected)
        return any_token(dict(delivery.query).get("token"), org.tokens)

    def events(self, delivery: Delivery, body: Any) -> list[InboundEvent]:
        params = dict(delivery.query)
        module, record = self._record(body, params)
        in_form = body.get("operation") if delivery.is_form else None
        verb = params.get("operation") or in_form or METHODS.get(delivery.method, "update")
        return [
            InboundEvent(
                zoho_module=module[:64],
                operation=operation(verb),
                record_id=text(record.get(f"{module}_id")) or text(record.get("id")),
                event_time=event_time(record.get("last_modified_time")),
                fields={k: v for k, v in record.items() if k not in CONTROL},
            )
        ]

    @staticmethod
    def _record(body: dict[str, Any], params: dict[str, str]) -> tuple[str, dict[str, Any]]:
        objects = [key for key, value in body.items() if isinstance(value, dict)]
        if len(objects) == 1 and not text(params.get("module")):
            return objects[0], body[objects[0]]
        module = text(params.get("module")) or text(body.get("module"))
        if module is None:
            raise Malformed(
                "name the module: a JSON body keyed by it, or a `module` parameter",
                field="module",
            )
        nested = body.get(module)
        return module, nested if isinstance(nested, dict) else body


FORMAT = Books()
