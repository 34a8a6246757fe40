"""POST /webhooks/zoho/{module}: Zoho webhooks in, stored before they are acknowledged.

The format (crmgraph.zoho.formats) reads the delivery, names its organisation and verifies
it against that organisation's keys; then every event is stored with its outbox event in
one transaction (crmgraph.zoho.inbound) and only then acknowledged: 202 with 000's response
body for 000's format, 200 for Zoho's own senders, 200 "already processed" when every event
was a repeat. Failures use 000's error format (`error` with correlation_id) inside the usual
envelope, and store nothing. The correlation id comes from X-Correlation-ID or is made here,
and is echoed in the X-Correlation-ID header and the body.
"""

from __future__ import annotations

import asyncio
import time

from sqlalchemy.exc import DBAPIError
from starlette.requests import Request
from starlette.responses import JSONResponse

from crmgraph.db.errors import is_unstorable_value
from crmgraph.errors import CONCURRENT_WRITE, UNSTORABLE, DomainError, ErrorCode
from crmgraph.events.topics import Topic
from crmgraph.rest.errors import ZOHO_WEBHOOKS, correlation_id, error_response
from crmgraph.rest.operations import Operation, Param, Reply
from crmgraph.runtime import Runtime
from crmgraph.security_log import security_event
from crmgraph.zoho import inbound, orgs
from crmgraph.zoho.formats import (
    VERIFY_IN_LOOP,
    Delivery,
    Format,
    InboundEvent,
    Malformed,
    choose,
)
from crmgraph.zoho.key_cache import KeyCache
from crmgraph.zoho.modules import MODULES

PATH = "/webhooks/zoho/{module}"
PREFIX = ZOHO_WEBHOOKS
METHODS = ["POST", "PUT", "DELETE"]  # Zoho Books says created/updated/deleted by the method
DESK_CHECK = "/webhooks/zoho/desk"
OK = {"type": "object", "required": ["success"], "properties": {"success": {"const": True}}}
UNVERIFIED = "the delivery does not come from a registered Zoho organisation with valid keys"
# Reads of an organisation's keys per delivery when they keep changing while it is stored
# (crmgraph.zoho.key_cache); then 409, and Zoho sends it again.
KEY_ATTEMPTS = 3
VERIFY_IN_LOOP_BYTES = 64 * 1024


def delivery_of(request: Request, module: str, raw: bytes) -> Delivery:
    return Delivery(
        module=module,
        method=request.method,
        headers={k.lower(): v for k, v in request.headers.items()},
        query=tuple(request.query_params.multi_items()),
        body=raw,
    )


async def verify(form: Format, delivery: Delivery, body: object, org: orgs.Registered) -> bool:
    # A thread costs more than an HMAC of a small body; Desk's check may fetch its key set
    # over HTTP (PyJWKClient blocks), and a large body's HMAC takes milliseconds.
    if form.name in VERIFY_IN_LOOP and len(delivery.body) <= VERIFY_IN_LOOP_BYTES:
        return form.verify(delivery, body, org.keys)
    return await asyncio.to_thread(form.verify, delivery, body, org.keys)


def zoho_webhook_operations(runtime: Runtime) -> list[Operation]:
    keys = KeyCache(lambda: runtime.read_sessions())  # the runtime is for requests only

    async def receive(request: Request) -> JSONResponse:
        started = time.monotonic()
        try:
            return await _receive(request, correlation_id(request), started)
        except DomainError as error:
            return error_response(request, error)

    async def _receive(request: Request, correlation_id: str, started: float) -> JSONResponse:
        module = request.path_params["module"]
        if module not in MODULES:
            raise DomainError(
                ErrorCode.NOT_FOUND,
                f"unknown Zoho module {module!r}; allowed: {', '.join(MODULES)}",
                field="module",
                details={"allowed": list(MODULES)},
            )
        delivery = delivery_of(request, module, await request.body())
        form = choose(delivery)
        try:
            body = form.read(delivery)
            org_id = form.org_id(delivery, body)
        except Malformed as exc:
            raise DomainError(ErrorCode.VALIDATION_ERROR, str(exc), field=exc.field) from exc
        found = await authentic(form, delivery, body, org_id, correlation_id, fresh=False)
        try:
            events = form.events(delivery, body)
        except Malformed as exc:
            raise DomainError(ErrorCode.VALIDATION_ERROR, str(exc), field=exc.field) from exc
        for _ in range(KEY_ATTEMPTS):
            source = inbound.Source(
                found.tenant_id, found.keys.org_id, module, form.name, correlation_id
            )
            try:
                async with runtime.sessions() as session, session.begin():
                    stored = await inbound.store(session, source, events, keys_stamp=found.stamp)
                break
            except inbound.KeysChanged:  # since they were kept: verify with the new ones
                found = await authentic(form, delivery, body, org_id, correlation_id, fresh=True)
            except DBAPIError as exc:  # e.g. a NUL character, which PostgreSQL's JSON refuses
                if not is_unstorable_value(exc):
                    raise
                raise DomainError(ErrorCode.VALIDATION_ERROR, UNSTORABLE) from exc
        else:
            raise DomainError(ErrorCode.CONFLICT, CONCURRENT_WRITE)
        if stored.added:
            runtime.wake_consumers(session)
        return _acknowledge(form, stored, correlation_id, started, events)

    async def authentic(
        form: Format,
        delivery: Delivery,
        body: object,
        org_id: str | None,
        correlation_id: str,
        *,
        fresh: bool,
    ) -> orgs.Registered:
        """The registered organisation the delivery comes from, verified; else 401. The
        kept copy of its keys first (unless fresh), then the keys read now."""
        found = keys.kept(org_id) if org_id and not fresh else None
        if found is None or not await verify(form, delivery, body, found):
            found = await keys.read(org_id) if org_id else None
            if found is None or not await verify(form, delivery, body, found):
                security_event("zoho_webhook_refused", org_id=org_id, module=delivery.module,
                               format=form.name, registered=found is not None,
                               correlation_id=correlation_id)  # fmt: skip
                raise DomainError(ErrorCode.UNAUTHENTICATED, UNVERIFIED)
        return found

    module = Param.path("module", {"type": "string", "enum": list(MODULES)})
    ack = {
        "type": "object",
        "required": ["success", "correlation_id"],
        "properties": {"success": {"const": True}, "correlation_id": {"type": "string"}},
    }
    replies = {
        200: Reply("Stored (Zoho's senders), or already processed", schema=ack, enveloped=False),
        202: Reply("Stored (000's format): queued for processing", schema=ack, enveloped=False),
    }
    about = ("Authenticated by the Zoho organisation's signature or token, not a bearer "
             "token (README: Connect Zoho). Errors also carry 000's `error` object.")  # fmt: skip

    async def check(request: Request) -> JSONResponse:
        return JSONResponse({"success": True}, status_code=200)

    desk_check = Operation(
        "GET", DESK_CHECK, check, name="checkZohoDeskWebhook",
        summary="Zoho Desk's check of a new webhook URL: 200",
        description="Zoho Desk validates a webhook URL with a GET before it saves it.",
        replies={200: Reply("The URL takes Desk's webhooks", schema=OK, enveloped=False)},
        errors=(),
    )  # fmt: skip
    return [
        desk_check,
        *(Operation(method, PATH, receive, name=f"receiveZohoWebhook{method.title()}",
                  summary=f"A Zoho webhook delivery ({method})", description=about,
                  params=(module,), replies=replies, errors=(400, 401, 404, 409),
                  extra=ANY_BODY)
        for method in METHODS),
    ]  # fmt: skip


# Zoho sends JSON, a JSON array or form data, as each format says (crmgraph.zoho.formats).
ANY_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": {}},
            "application/x-www-form-urlencoded": {"schema": {"type": "object"}},
        },
    }
}


def _acknowledge(
    form: Format,
    stored: inbound.Stored,
    correlation_id: str,
    started: float,
    events: list[InboundEvent],
) -> JSONResponse:
    headers = {"X-Correlation-ID": correlation_id}
    if not stored.added:
        body = {"success": True, "message": "Webhook already processed",
                "correlation_id": correlation_id}  # fmt: skip
        return JSONResponse(body, status_code=200, headers=headers)
    webhook_ids = [e.webhook_id for e in events if e.webhook_id]
    body = {
        "success": True,
        "webhook_id": webhook_ids[0] if webhook_ids else None,
        "processing_time_ms": round((time.monotonic() - started) * 1000),
        "correlation_id": correlation_id,
        "job_id": str(stored.added[0].id),
        "events_triggered": [Topic.ZOHO_RECORD_RECEIVED.value] * len(stored.added),
        "event_ids": [str(row.id) for row in stored.added],
        "duplicates": stored.duplicates,
        "status": "queued_for_processing",
    }
    return JSONResponse(body, status_code=form.ack_status, headers=headers)
