"""POST /webhooks/zoho/{module} on the REST shim with the test PostgreSQL database: each
format is stored with its outbox event before it is acknowledged; forged, unregistered,
oversized, malformed and repeated deliveries change nothing."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from crmgraph.config import Settings
from crmgraph.db.migrate import upgrade
from crmgraph.db.models import OutboxEvent, ZohoInboundEvent
from crmgraph.db.scoping import Scope, scoped
from crmgraph.events import codec
from crmgraph.events.topics import Topic
from crmgraph.events.zoho_payloads import ZohoRecordReceived
from crmgraph.rest.app import create_rest_app
from crmgraph.runtime import Runtime
from crmgraph.zoho import orgs

DATA = Path(__file__).parents[1] / "data" / "zoho"
SECRET = "org-secret-0123456789"
TOKEN = "crm-shared-token-0001"
FORM = {"content-type": "application/x-www-form-urlencoded"}
JSON = {"content-type": "application/json"}


@dataclass
class Shim:
    client: httpx.AsyncClient
    runtime: Runtime
    tenant: str
    org_id: str

    async def counts(self) -> tuple[int, int]:
        """Stored Zoho events and zoho.record_received outbox events of the tenant."""
        async with self.runtime.sessions() as session:
            stored = await session.scalar(
                scoped(
                    select(func.count()).select_from(ZohoInboundEvent),
                    ZohoInboundEvent,
                    self.tenant,
                )
            )
            events = await session.scalar(
                scoped(
                    select(func.count()).select_from(OutboxEvent), OutboxEvent, self.tenant
                ).where(OutboxEvent.topic == Topic.ZOHO_RECORD_RECEIVED.value)
            )
        return stored or 0, events or 0

    async def rows(self) -> list[ZohoInboundEvent]:
        async with self.runtime.sessions() as session:
            stmt = scoped(select(ZohoInboundEvent), ZohoInboundEvent, self.tenant)
            return list(await session.scalars(stmt.order_by(ZohoInboundEvent.received_at)))


async def open_runtime(kind: str, pg_settings: Settings, tmp_path: Path) -> Runtime:
    """A runtime on the test PostgreSQL database, or (kind "sqlite") an embedded one."""
    settings = pg_settings
    if kind == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path}/crmgraph.db"
        settings = pg_settings.model_copy(update={"database_url": url, "neo4j_uri": None})
        await upgrade(settings)
    return await Runtime.open(settings)


@pytest.fixture(params=["postgresql", "sqlite"])
async def shim(
    request: pytest.FixtureRequest, pg_settings: Settings, tenant: str, tmp_path: Path
) -> AsyncIterator[Shim]:
    """The REST shim on the test PostgreSQL database, and in embedded mode (SQLite)."""
    runtime = await open_runtime(request.param, pg_settings, tmp_path)
    org_id = f"org{uuid.uuid4().int % 10**12}"
    async with runtime.sessions() as session, session.begin():
        await orgs.add_org(
            session, scope=Scope(tenant_id=tenant), org_id=org_id, secret=SECRET, tokens=[TOKEN]
        )
    transport = httpx.ASGITransport(app=create_rest_app(runtime))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://crmgraph") as client:
            yield Shim(client, runtime, tenant, org_id)
    finally:
        await runtime.close()


def sign(body: bytes) -> str:
    return hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()


def spec000(org_id: str, **changes: object) -> bytes:
    body = json.loads((DATA / "spec000_contact_created.json").read_text())
    return json.dumps({**body, "org_id": org_id, **changes}).encode()


def signed_headers(org_id: str, body: bytes, **extra: str) -> dict[str, str]:
    return {
        **JSON,
        "X-Zoho-Signature": f"sha256={sign(body)}",
        "X-Zoho-Org-Id": org_id,
        "User-Agent": "Zoho-Webhook/1.0",
        **extra,
    }


def crm_form(org_id: str) -> bytes:
    return (
        (DATA / "crm_workflow_contact.form")
        .read_bytes()
        .strip()
        .replace(b"org_id=12345678", f"org_id={org_id}".encode())
    )


async def test_000_delivery_is_stored_with_its_outbox_event_then_accepted(shim: Shim) -> None:
    body = spec000(shim.org_id)

    answer = await shim.client.post(
        "/webhooks/zoho/crm",
        content=body,
        headers=signed_headers(shim.org_id, body, **{"X-Correlation-ID": "corr-test-1"}),
    )

    assert answer.status_code == 202, answer.text
    assert answer.headers["x-correlation-id"] == "corr-test-1"
    reply = answer.json()
    assert (reply["success"], reply["webhook_id"], reply["correlation_id"]) == (
        True,
        "wh_abc123def456",
        "corr-test-1",
    )
    assert reply["events_triggered"] == ["zoho.record_received"]
    assert await shim.counts() == (1, 1)
    [row] = await shim.rows()
    assert (
        row.org_id,
        row.module,
        row.source_format,
        row.zoho_module,
        row.operation,
        row.record_id,
    ) == (shim.org_id, "crm", "spec000", "Contacts", "create", "3652397000000523001")
    assert row.fields["Industry"] == "Technology" and row.correlation_id == "corr-test-1"
    async with shim.runtime.sessions() as session:
        event = await session.scalar(scoped(select(OutboxEvent), OutboxEvent, shim.tenant))
    assert event is not None and event.aggregate_id == row.id
    payload = codec.decode(event.topic, event.payload)
    assert isinstance(payload, ZohoRecordReceived)
    assert payload.zoho_inbound_event.fields["Email"] == "john.doe@example.com"


async def test_a_repeated_delivery_is_already_processed_and_changes_nothing(shim: Shim) -> None:
    body = spec000(shim.org_id)
    first = await shim.client.post(
        "/webhooks/zoho/crm", content=body, headers=signed_headers(shim.org_id, body)
    )
    retry = spec000(shim.org_id, retry_count=1)  # Zoho's retry: same webhook id
    again = await shim.client.post(
        "/webhooks/zoho/crm", content=retry, headers=signed_headers(shim.org_id, retry)
    )

    assert first.status_code == 202
    assert again.status_code == 200, again.text
    assert again.json()["message"] == "Webhook already processed"
    assert again.headers["x-correlation-id"] == again.json()["correlation_id"]
    assert await shim.counts() == (1, 1)


async def test_two_identical_deliveries_at_once_store_one_event(shim: Shim) -> None:
    body = spec000(shim.org_id, webhook_id=f"wh_{uuid.uuid4().hex}")
    send = [
        shim.client.post(
            "/webhooks/zoho/crm", content=body, headers=signed_headers(shim.org_id, body)
        )
        for _ in range(2)
    ]

    answers = await asyncio.gather(*send)

    assert sorted(a.status_code for a in answers) == [200, 202], [a.text for a in answers]
    assert await shim.counts() == (1, 1)


async def test_a_batch_is_split_into_its_events(shim: Shim) -> None:
    one = json.loads(spec000(shim.org_id))
    other = {**one, "webhook_id": "wh_second", "data": {**one["data"], "id": "99"}}
    body = json.dumps([one, other]).encode()

    answer = await shim.client.post(
        "/webhooks/zoho/crm", content=body, headers=signed_headers(shim.org_id, body)
    )

    assert answer.status_code == 202 and len(answer.json()["event_ids"]) == 2
    assert await shim.counts() == (2, 2)


async def test_crm_workflow_form_body_is_stored_and_answered_200(shim: Shim) -> None:
    answer = await shim.client.post(
        "/webhooks/zoho/crm", content=crm_form(shim.org_id), headers=FORM
    )

    assert answer.status_code == 200, answer.text
    assert answer.json()["success"] is True and answer.headers["x-correlation-id"]
    [row] = await shim.rows()
    assert (row.source_format, row.zoho_module, row.operation) == (
        "crm_workflow",
        "Contacts",
        "update",
    )
    assert row.fields["Mailing_City"] == "Chennai" and "token" not in row.fields
    assert await shim.counts() == (1, 1)


async def test_crm_workflow_json_keeps_unknown_fields(shim: Shim) -> None:
    body = json.loads((DATA / "crm_workflow_deal.json").read_text())
    body |= {"org_id": shim.org_id, "Brand_New_Field__c": {"nested": [1, None, "x"]}}

    answer = await shim.client.post("/webhooks/zoho/crm", json=body)

    assert answer.status_code == 200, answer.text
    [row] = await shim.rows()
    assert row.fields["Brand_New_Field__c"] == {"nested": [1, None, "x"]}
    assert (row.zoho_module, row.operation, row.record_id) == (
        "Deals",
        "create",
        "3652397000000624015",
    )


async def test_books_signed_invoice_is_stored(shim: Shim) -> None:
    body = (DATA / "books_invoice.json").read_bytes()
    query = f"org_id={shim.org_id}"
    signature = sign(f"org_id{shim.org_id}".encode() + body)

    answer = await shim.client.post(
        f"/webhooks/zoho/books?{query}",
        content=body,
        headers={**JSON, "X-Zoho-Webhook-Signature": signature},
    )
    forged = await shim.client.post(
        f"/webhooks/zoho/books?{query}",
        content=body,
        headers={**JSON, "X-Zoho-Webhook-Signature": "00" * 32},
    )

    assert answer.status_code == 200, answer.text
    assert forged.status_code == 401
    [row] = await shim.rows()
    assert (row.source_format, row.zoho_module, row.operation, row.record_id) == (
        "books",
        "invoice",
        "create",
        "982000000567114",
    )
    assert await shim.counts() == (1, 1)


@pytest.mark.parametrize("case", ["bad signature", "no signature", "bad token", "unregistered"])
async def test_unauthentic_deliveries_are_401_and_store_nothing(shim: Shim, case: str) -> None:
    body = spec000(shim.org_id)
    headers = signed_headers(shim.org_id, body)
    if case == "bad signature":
        headers["X-Zoho-Signature"] = "sha256=" + sign(b"something else")
    if case == "unregistered":
        headers["X-Zoho-Org-Id"] = "999999999999"
    if case in ("no signature", "bad token"):
        del headers["X-Zoho-Signature"]
    if case == "bad token":
        body = crm_form(shim.org_id).replace(TOKEN.encode(), b"wrong-token-value")
        headers = FORM

    answer = await shim.client.post("/webhooks/zoho/crm", content=body, headers=headers)

    assert answer.status_code == 401, answer.text
    error = answer.json()["error"]
    assert error["code"] == "UNAUTHORIZED" and error["correlation_id"]
    assert SECRET not in answer.text and TOKEN not in answer.text
    assert await shim.counts() == (0, 0)


async def test_an_unknown_module_is_404_listing_the_allowed_ones(shim: Shim) -> None:
    body = spec000(shim.org_id)

    answer = await shim.client.post(
        "/webhooks/zoho/mail", content=body, headers=signed_headers(shim.org_id, body)
    )

    assert answer.status_code == 404
    assert answer.json()["error"]["details"]["allowed"] == [
        "crm",
        "desk",
        "projects",
        "books",
        "people",
        "expense",
        "campaigns",
        "cliq",
        "analytics",
    ]
    assert await shim.counts() == (0, 0)


async def test_a_5_mib_body_is_413(shim: Shim) -> None:
    body = b'{"pad": "' + b"x" * (5 * 1024 * 1024) + b'"}'

    answer = await shim.client.post(
        "/webhooks/zoho/crm", content=body, headers=signed_headers(shim.org_id, body)
    )

    assert answer.status_code == 413
    assert answer.json()["errors"][0]["code"] == "REQUEST_ENTITY_TOO_LARGE"
    assert await shim.counts() == (0, 0)


@pytest.mark.parametrize(
    ("module", "body", "headers"),
    [
        ("crm", b'{"event_type": "contact.created", ', "signed"),
        ("crm", b"[]", "signed"),
        ("crm", b'{"event_type": "contact.created"}', "signed"),
        ("books", b"not json", "json"),
    ],
)
async def test_malformed_bodies_are_400_in_000s_error_format(
    shim: Shim, module: str, body: bytes, headers: str
) -> None:
    sent = signed_headers(shim.org_id, body) if headers == "signed" else JSON

    answer = await shim.client.post(
        f"/webhooks/zoho/{module}?org_id={shim.org_id}", content=body, headers=sent
    )

    assert answer.status_code == 400, answer.text
    error = answer.json()["error"]
    assert error["code"] == "VALIDATION_ERROR" and error["message"] and error["correlation_id"]
    assert await shim.counts() == (0, 0)


async def test_webhooks_count_against_the_organisation_they_name(
    pg_settings: Settings, tenant: str
) -> None:
    limits = {"api_integration": {"burst_limit": 2, "requests_per_minute": 2}}
    settings = pg_settings.model_copy(
        update={
            "rate_limits": json.dumps(limits),
            "rate_limits_enabled": True,
            "redis_url": "memory://",
        }
    )
    runtime = await Runtime.open(settings)
    first, second = (f"org{uuid.uuid4().int % 10**12}" for _ in range(2))
    async with runtime.sessions() as session, session.begin():
        for org_id in (first, second):
            await orgs.add_org(session, scope=Scope(tenant_id=tenant), org_id=org_id, secret=SECRET)
    transport = httpx.ASGITransport(app=create_rest_app(runtime))
    answers: list[httpx.Response] = []
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://crmgraph") as client:
            for org_id, n in [(first, 1), (first, 2), (first, 3), (second, 1)]:
                body = spec000(org_id, webhook_id=f"wh_{org_id}_{n}")
                # A bearer header means nothing here: the organisation's signature counts.
                headers = signed_headers(org_id, body, Authorization="Bearer not-a-token")
                answers.append(
                    await client.post("/webhooks/zoho/crm", content=body, headers=headers)
                )
    finally:
        await runtime.close()

    assert [a.status_code for a in answers] == [202, 202, 429, 202], [a.text for a in answers]
    assert answers[0].headers["x-ratelimit-limit"] == "2"
    refused = answers[2]  # answered by the middleware, yet as every answer to a delivery
    assert refused.json()["error"]["correlation_id"] == refused.headers["x-correlation-id"]


async def test_webhooks_have_their_own_body_limit(pg_settings: Settings, tenant: str) -> None:
    settings = pg_settings.model_copy(update={"zoho_webhook_max_body_bytes": 2000})
    runtime = await Runtime.open(settings)
    transport = httpx.ASGITransport(app=create_rest_app(runtime))
    padded = {"pad": "x" * 3000}
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://crmgraph") as client:
            body = spec000("12345678", data={"id": "1", "details": padded})
            webhook = await client.post("/webhooks/zoho/crm", content=body, headers=JSON)
            other = await client.post("/api/v1/zoho/orgs", json={"org_id": "x", **padded})
    finally:
        await runtime.close()

    assert webhook.status_code == 413
    assert webhook.json()["errors"][0]["details"] == {"limit": 2000}
    assert other.status_code == 401  # under REST_MAX_BODY_BYTES: it reaches authentication


async def test_a_body_over_the_limit_is_413_with_the_senders_correlation_id(shim: Shim) -> None:
    # The body limit answers before the route: README says every answer carries the id.
    limit = shim.runtime.settings.zoho_webhook_max_body_bytes
    body = spec000(shim.org_id, data={"id": "1", "details": {"pad": "x" * limit}})
    headers = signed_headers(shim.org_id, body, **{"X-Correlation-ID": "corr-big-1"})

    answer = await shim.client.post("/webhooks/zoho/crm", content=body, headers=headers)

    assert answer.status_code == 413, answer.text
    assert answer.headers["x-correlation-id"] == "corr-big-1"
    assert answer.json()["error"]["correlation_id"] == "corr-big-1"
    assert answer.json()["error"]["code"] == "REQUEST_ENTITY_TOO_LARGE"
    assert await shim.counts() == (0, 0)


async def test_a_value_the_database_cannot_store_is_400_and_stores_nothing(shim: Shim) -> None:
    body = spec000(shim.org_id, data={"id": "1", "details": {"Last_Name": "Do\u0000e"}})

    answer = await shim.client.post(
        "/webhooks/zoho/crm", content=body, headers=signed_headers(shim.org_id, body)
    )

    if shim.runtime.settings.database_url.startswith("sqlite"):  # SQLite keeps a NUL as sent
        assert answer.status_code == 202, answer.text
        assert [row.fields["Last_Name"] for row in await shim.rows()] == ["Do\u0000e"]
        return
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"]["correlation_id"] == answer.headers["x-correlation-id"]
    assert await shim.counts() == (0, 0)


async def test_without_a_zoho_time_repeats_are_known_by_content(shim: Shim) -> None:
    form = {"org_id": shim.org_id, "token": TOKEN, "module": "Leads", "id": "7", "Company": "A"}

    first = await shim.client.post("/webhooks/zoho/crm", data=form)
    again = await shim.client.post("/webhooks/zoho/crm", data=form)
    changed = await shim.client.post("/webhooks/zoho/crm", data={**form, "Company": "B"})

    assert [a.status_code for a in (first, again, changed)] == [200, 200, 200]
    assert again.json()["message"] == "Webhook already processed"
    assert "message" not in changed.json()
    rows = await shim.rows()
    assert [row.fields["Company"] for row in rows] == ["A", "B"]
    assert all(row.event_time == row.received_at for row in rows)  # no Zoho time: ours
    assert await shim.counts() == (2, 2)
