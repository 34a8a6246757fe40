"""Zoho CRM notification (watch) callbacks, from delivery to data: POSTed to the running REST
shim as Zoho CRM sends them (ids only, tests/data/zoho/crm_notification_contacts.json),
stored and answered 200, then the zoho-mapper reads each record from a stand-in of Zoho's
accounts server and CRM REST API (tests/zoho_standin.py, a real HTTP server on loopback)
with an access token made from the organisation's refresh token, and maps it into
PostgreSQL. The organisation is registered with `crmgraph zoho add-org`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, text, update

from crmgraph.db import models
from crmgraph.db.scoping import scoped
from tests.e2e.test_zoho_end_to_end import eventually, mapper_delivery
from tests.stack import Stack
from tests.zoho_standin import ZohoStandIn

DATA = Path(__file__).parents[1] / "data" / "zoho"
TOKEN = "TOKEN_FOR_VERIFICATION_OF_1000000068001"
CONTACT_IDS = ["4150868000000624001", "4150868000000624002", "4150868000000624003"]
LEAD_ID, DEAL_ID = "4150868000000592026", "4150868000000633001"


def zoho_record(name: str, **changes: Any) -> dict[str, Any]:
    """A record of tests/data/zoho/records as Zoho's GET returns it."""
    return {**json.loads((DATA / "records" / f"{name}.json").read_text())["fields"], **changes}


@pytest.fixture
def zoho() -> Iterator[ZohoStandIn]:
    standin = ZohoStandIn()
    for n, record_id in enumerate(CONTACT_IDS):
        standin.records[("Contacts", record_id)] = zoho_record(
            "crm_contact", id=record_id, Email=f"person{n}@zylker.example", Last_Name=f"Lee{n}"
        )
    standin.records[("Leads", LEAD_ID)] = zoho_record("crm_lead")
    standin.records[("Deals", DEAL_ID)] = zoho_record("crm_deal", id=DEAL_ID)
    standin.start()
    yield standin
    standin.stop()


@pytest.fixture
def org(stack: Stack, tenant: str, zoho: ZohoStandIn) -> str:
    """An organisation registered by an operator with its OAuth client, whose accounts
    server is the stand-in."""
    org_id = f"{uuid.uuid4().int % 10**12}"
    command = [
        str(Path(sys.executable).parent / "crmgraph"), "zoho", "add-org", org_id,
        "--tenant", tenant, "--token", TOKEN, "--client-id", zoho.client_id,
        "--client-secret", zoho.client_secret, "--refresh-token", zoho.refresh_token,
        "--accounts-url", zoho.url,
    ]  # fmt: skip
    env = {**os.environ, "DATABASE_URL": stack.settings.database_url}
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert zoho.client_secret not in done.stdout and zoho.refresh_token not in done.stdout
    return org_id


def callback(
    stack: Stack, org_id: str, module: str, ids: list[str], *, operation: str = "insert",
    token: str = TOKEN, at: int = 1795862400000,
) -> httpx.Response:  # fmt: skip
    """A notification as Zoho CRM POSTs it to the notify_url registered with actions/watch."""
    body = json.loads((DATA / "crm_notification_contacts.json").read_text())
    body.update(module=module, ids=ids, operation=operation, token=token, server_time=at,
                query_params={"org_id": org_id},
                resource_uri=f"https://www.zohoapis.com/crm/v8/{module}")  # fmt: skip
    if operation != "update":
        body.pop("affected_fields")
    return httpx.post(f"{stack.rest_url}/webhooks/zoho/crm?org_id={org_id}", json=body)


def rows(stack: Stack, tenant: str, model: Any) -> list[Any]:
    async def read() -> list[Any]:
        async with stack.runtime.sessions() as session:
            return list(await session.scalars(scoped(select(model), model, tenant)))

    return stack.call(read)


def stored_count(stack: Stack, tenant: str) -> int:
    async def read() -> int:
        event = models.ZohoInboundEvent
        async with stack.runtime.sessions() as session:
            found = await session.scalar(
                scoped(select(func.count()).select_from(event), event, tenant)
            )
        return found or 0

    return stack.call(read)


def contacts_by_zoho_id(stack: Stack, tenant: str) -> dict[str, models.Contact]:
    return {c.zoho_id: c for c in rows(stack, tenant, models.Contact) if c.zoho_id}


def all_processed(stack: Stack, tenant: str, count: int) -> bool:
    found = rows(stack, tenant, models.ZohoInboundEvent)
    return len(found) == count and all(row.processed_at for row in found)


def created_then_updated(
    stack: Stack, tenant: str, org: str, change: Callable[[], object]
) -> httpx.Response:
    """The first contact created by one callback; then change() changes Zoho, and a second
    callback says the contact was updated: its answer."""
    callback(stack, org, "Contacts", CONTACT_IDS[:1])
    assert eventually(lambda: all_processed(stack, tenant, 1))
    change()
    return callback(stack, org, "Contacts", CONTACT_IDS[:1], operation="update",
                    at=1795870000000)  # fmt: skip


def make_pipeline(stack: Stack, tenant: str) -> None:
    made = stack.graphql(
        """mutation { createPipeline(input: {name: "Sales", stages: [
             {name: "Qualification", order: 1, probability: 20},
             {name: "Closed Won", order: 2, probability: 100}]}) { pipeline { id } } }""",
        tenant=tenant,
    ).json()
    assert "errors" not in made, made


def test_a_callback_of_three_ids_is_fetched_from_zoho_and_mapped(
    stack: Stack, tenant: str, org: str, zoho: ZohoStandIn
) -> None:
    make_pipeline(stack, tenant)
    contacts = callback(stack, org, "Contacts", CONTACT_IDS)
    lead = callback(stack, org, "Leads", [LEAD_ID])
    deal = callback(stack, org, "Deals", [DEAL_ID])

    assert (contacts.status_code, lead.status_code, deal.status_code) == (200, 200, 200)
    assert len(contacts.json()["event_ids"]) == 3
    assert eventually(lambda: all_processed(stack, tenant, 5)), "not all applied"
    found = contacts_by_zoho_id(stack, tenant)
    assert sorted(found) == CONTACT_IDS
    assert [found[i].email for i in CONTACT_IDS] == [f"person{n}@zylker.example" for n in range(3)]
    [mapped_lead] = rows(stack, tenant, models.Lead)
    assert (mapped_lead.zoho_id, mapped_lead.email) == (LEAD_ID, "kris.marrier@chapman.example")
    [mapped_deal] = rows(stack, tenant, models.Deal)
    assert (mapped_deal.zoho_id, mapped_deal.contact_id) == (DEAL_ID, found[CONTACT_IDS[0]].id)
    assert zoho.token_calls == 1  # one access token, cached for the next reads
    # the three contacts in one Get Records call
    assert sorted(zoho.gets) == sorted(
        [("Contacts", ",".join(CONTACT_IDS), 200), ("Leads", LEAD_ID, 200),
         ("Deals", DEAL_ID, 200)]
    )  # fmt: skip


def test_a_callback_with_a_wrong_token_is_401_and_stores_nothing(
    stack: Stack, tenant: str, org: str, zoho: ZohoStandIn
) -> None:
    forged = callback(stack, org, "Contacts", CONTACT_IDS, token="TOKEN_FOR_VERIFICATION_OF_9")
    unknown_org = callback(stack, "999", "Contacts", CONTACT_IDS)

    assert (forged.status_code, unknown_org.status_code) == (401, 401)
    assert forged.json()["error"]["code"] == "UNAUTHORIZED"
    time.sleep(0.5)
    assert stored_count(stack, tenant) == 0
    assert (zoho.token_calls, zoho.gets) == (0, [])


def test_a_repeated_callback_is_already_processed(
    stack: Stack, tenant: str, org: str, zoho: ZohoStandIn
) -> None:
    first = callback(stack, org, "Contacts", CONTACT_IDS[:2])
    again = callback(stack, org, "Contacts", CONTACT_IDS[:2])

    assert (first.status_code, again.status_code) == (200, 200)
    assert again.json()["message"] == "Webhook already processed"
    assert eventually(lambda: all_processed(stack, tenant, 2))
    assert len(contacts_by_zoho_id(stack, tenant)) == 2
    assert zoho.gets == [("Contacts", ",".join(CONTACT_IDS[:2]), 200)]


def test_zoho_failing_twice_is_retried_and_then_applied(
    stack: Stack, tenant: str, org: str, zoho: ZohoStandIn
) -> None:
    zoho.failures = [500, 500]
    answer = callback(stack, org, "Contacts", CONTACT_IDS[:1])

    assert answer.status_code == 200
    assert eventually(lambda: all_processed(stack, tenant, 1), within=30)
    assert list(contacts_by_zoho_id(stack, tenant)) == CONTACT_IDS[:1]
    assert [status for _, _, status in zoho.gets] == [500, 500, 200]


def test_an_expired_access_token_is_refreshed_once(
    stack: Stack, tenant: str, org: str, zoho: ZohoStandIn
) -> None:
    def promote_and_expire() -> None:
        zoho.expire_tokens()
        zoho.records[("Contacts", CONTACT_IDS[0])].update(
            Title="Chief Operating Officer", Modified_Time="2026-11-28T12:00:00+00:00"
        )

    answer = created_then_updated(stack, tenant, org, promote_and_expire)

    assert answer.status_code == 200
    assert eventually(lambda: all_processed(stack, tenant, 2))
    assert contacts_by_zoho_id(stack, tenant)[CONTACT_IDS[0]].job_title == (
        "Chief Operating Officer"
    )
    assert zoho.token_calls == 2
    assert [status for _, _, status in zoho.gets] == [200, 401, 200]


def test_no_row_is_locked_while_zoho_is_slow_to_answer(
    stack: Stack, tenant: str, org: str, zoho: ZohoStandIn
) -> None:
    """While the mapper waits 3 s for Zoho's answer, another transaction updates the event's
    delivery, its stored row and the contact it is about without waiting for a lock."""
    answer = created_then_updated(stack, tenant, org, lambda: setattr(zoho, "delay", 3.0))
    assert answer.status_code == 200
    assert eventually(lambda: zoho.asked == 2), "the update's record was not asked for"

    contact_id = contacts_by_zoho_id(stack, tenant)[CONTACT_IDS[0]].id
    [waiting] = [r for r in rows(stack, tenant, models.ZohoInboundEvent) if not r.processed_at]
    delivery = mapper_delivery(stack, waiting.id)
    assert delivery is not None
    started = time.monotonic()
    touched = stack.call(lambda: touch_rows(stack, delivery, waiting.id, contact_id))
    waited = time.monotonic() - started

    assert touched == (1, 1, 1) and waited < 1.0, (touched, waited)
    assert eventually(lambda: all_processed(stack, tenant, 2))
    assert [status for _, _, status in zoho.gets] == [200, 200]


async def touch_rows(
    stack: Stack, pending: models.OutboxDelivery, event_id: uuid.UUID, contact_id: uuid.UUID
) -> tuple[int, int, int]:
    """Update (to the same values) the mapper's pending delivery, the unprocessed stored event
    and the contact, giving up on any row lock after 1 s (LockNotAvailable)."""
    delivery, event, contact = models.OutboxDelivery, models.ZohoInboundEvent, models.Contact
    async with stack.runtime.sessions() as session, session.begin():
        await session.execute(text("SET LOCAL lock_timeout = '1s'"))
        counts = [
            await session.execute(update(delivery).where(delivery.consumer == pending.consumer,
                                                         delivery.outbox_id == pending.outbox_id)
                                  .values(attempts=delivery.attempts)),
            await session.execute(update(event).where(event.id == event_id)
                                  .values(outcome=event.outcome)),
            await session.execute(update(contact).where(contact.id == contact_id)
                                  .values(job_title=contact.job_title)),
        ]  # fmt: skip
    return counts[0].rowcount, counts[1].rowcount, counts[2].rowcount


def test_a_record_zoho_no_longer_has_is_deleted(
    stack: Stack, tenant: str, org: str, zoho: ZohoStandIn
) -> None:
    answer = created_then_updated(
        stack, tenant, org, lambda: zoho.records.pop(("Contacts", CONTACT_IDS[0]))
    )

    assert answer.status_code == 200

    assert eventually(lambda: all_processed(stack, tenant, 2))
    assert contacts_by_zoho_id(stack, tenant) == {}
    outcomes = sorted(row.outcome for row in rows(stack, tenant, models.ZohoInboundEvent))
    assert outcomes == ["created", "deleted"]
    assert [status for _, _, status in zoho.gets] == [200, 204]


def test_an_org_without_an_oauth_client_fails_its_events_saying_why(
    stack: Stack, tenant: str, zoho: ZohoStandIn
) -> None:
    """Stored and answered as any callback; the mapper cannot read the records, and says so."""
    org_id = f"{uuid.uuid4().int % 10**12}"
    made = httpx.post(
        f"{stack.rest_url}/api/v1/zoho/orgs",
        json={"org_id": org_id, "tokens": [TOKEN]},
        headers={"authorization": f"Bearer {stack.token(tenant)}"},
    )
    assert made.status_code == 201, made.text

    answer = callback(stack, org_id, "Contacts", CONTACT_IDS[:1])

    assert answer.status_code == 200
    [row] = rows(stack, tenant, models.ZohoInboundEvent)
    failing = eventually(lambda: (d := mapper_delivery(stack, row.id)) and d.last_error and d)
    assert failing and "no OAuth client" in failing.last_error
    assert (row.processed_at, zoho.token_calls, rows(stack, tenant, models.Contact)) == (
        None, 0, [])  # fmt: skip
