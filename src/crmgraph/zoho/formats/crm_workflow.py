"""Zoho CRM workflow-rule webhooks (Setup > Automation > Actions > Webhooks), on /webhooks/zoho/crm.

Zoho CRM sends the parameters the admin configured: module parameters (merge fields such as
`${Contacts.Contact Id}`) and custom parameters, appended to the URL as a query string or in
the body, as form data (application/x-www-form-urlencoded) or raw JSON (a flat object).
Query and body parameters are read together (the body wins). The parameter names we read:

- `org_id`:    the organisation registered with `crmgraph zoho add-org` (required);
- `token`:     one of that organisation's shared tokens (required; never stored);
- `module`:    Zoho's module of the record, e.g. `Contacts`, `Leads`, `Deals`, `Accounts`
               (required);
- `id`:        the record id, e.g. `${Contacts.Contact Id}` (required);
- `operation`: create, update (or edit), delete, ...; update when absent;
- `modified_time`: e.g. `${Contacts.Modified Time}`; the event time, part of the key
               that makes a repeated delivery a duplicate.

Every other parameter is a field of the record, kept as sent (unknown ones too); with no
`modified_time`, repeats are recognised by their whole content. Answered 200.
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
    operation,
    text,
)

TOKEN = "token"
# Parameters that say how to read the delivery; the rest are the record's fields.
CONTROL = ("org_id", TOKEN, "module", "id", "operation")


class CrmWorkflow:
    name = "crm_workflow"
    ack_status = 200

    def claims(self, delivery: Delivery) -> bool:
        return delivery.module == "crm"

    def read(self, delivery: Delivery) -> Any:
        params: dict[str, Any] = dict(delivery.query)
        if delivery.is_form:
            params.update(delivery.form())
        elif delivery.body.strip():
            body = delivery.json()
            if not isinstance(body, dict):
                raise Malformed("a Zoho CRM webhook body is a JSON object of parameters")
            params.update(body)
        return params

    def org_id(self, delivery: Delivery, body: Any) -> str | None:
        return text(body.get("org_id"))

    def verify(self, delivery: Delivery, body: Any, org: OrgKeys) -> bool:
        given = body.get(TOKEN)
        return any_token(given if isinstance(given, str) else None, org.tokens)

    def events(self, delivery: Delivery, body: Any) -> list[InboundEvent]:
        module, record = text(body.get("module")), text(body.get("id"))
        if module is None:
            raise Malformed("the `module` parameter (e.g. Contacts) is missing", field="module")
        if record is None:
            raise Malformed("the `id` parameter (the record id) is missing", field="id")
        fields = {k: v for k, v in body.items() if k not in CONTROL}
        return [
            InboundEvent(
                zoho_module=module[:64],
                operation=operation(body.get("operation")),
                record_id=record[:128],
                event_time=event_time(body.get("modified_time")),
                fields=fields,
            )
        ]


FORMAT = CrmWorkflow()
