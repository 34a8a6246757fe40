"""A Zoho webhook from delivery to data: POSTed to the running REST shim, stored, acknowledged,
applied by the zoho-mapper consumer, and read back through the router with GraphQL. A record
that cannot be applied yet is retried until its cause is fixed; one that ran out of attempts
is a dead letter until it is replayed (REST and `crmgraph webhooks replay`)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from sqlalchemy import select

from crmgraph.db import models
from crmgraph.db.scoping import Scope, scoped
from crmgraph.events.consumers.zoho_mapper import ZohoMapper
from crmgraph.zoho import orgs
from tests.integration import test_zoho_desk_webhooks as desk_tests
from tests.settle import eventually
from tests.stack import Stack

TOKEN = "crm-shared-token-e2e-0001"
CONTACTS = "{ contacts(first: 20) { edges { node { id firstName lastName email jobTitle } } } }"
DEALS = "{ deals(first: 20) { edges { node { id title value stage } } } }"


@pytest.fixture
def org(stack: Stack, tenant: str) -> str:
    """A Zoho organisation of tenant, registered by its admin over REST."""
    org_id = f"org{uuid.uuid4().int % 10**12}"
    answer = httpx.post(
        f"{stack.rest_url}/api/v1/zoho/orgs",
        json={"org_id": org_id, "tokens": [TOKEN]},
        headers={"authorization": f"Bearer {stack.token(tenant)}"},
    )
    assert answer.status_code == 201, answer.text
    return org_id


def deliver(
    stack: Stack, org_id: str, module: str, record_id: str, **fields: str
) -> httpx.Response:
    """A Zoho CRM workflow webhook, form-encoded, as Zoho CRM sends it."""
    body = {"org_id": org_id, "token": TOKEN, "module": module, "id": record_id, **fields}
    return httpx.post(
        f"{stack.rest_url}/webhooks/zoho/crm",
        content=urlencode(body),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )


def nodes(stack: Stack, tenant: str, query: str, field: str) -> list[dict[str, Any]]:
    answer = stack.graphql(query, tenant=tenant).json()
    assert "errors" not in answer, answer
    return [edge["node"] for edge in answer["data"][field]["edges"]]


def stored(stack: Stack, tenant: str) -> list[models.ZohoInboundEvent]:
    async def read() -> list[models.ZohoInboundEvent]:
        async with stack.runtime.sessions() as session:
            stmt = scoped(select(models.ZohoInboundEvent), models.ZohoInboundEvent, tenant)
            return list(await session.scalars(stmt.order_by(models.ZohoInboundEvent.received_at)))

    return stack.call(read)


def processed(rows: list[models.ZohoInboundEvent]) -> list[models.ZohoInboundEvent]:
    """rows when the mapper has handled each, else none."""
    return rows if all(row.processed_at for row in rows) else []


def mapper_delivery(stack: Stack, event_id: uuid.UUID) -> models.OutboxDelivery | None:
    async def read() -> models.OutboxDelivery | None:
        async with stack.runtime.sessions() as session:
            stmt = (
                select(models.OutboxDelivery)
                .join(models.OutboxEvent)
                .where(
                    models.OutboxDelivery.consumer == ZohoMapper.name,
                    models.OutboxEvent.aggregate_id == event_id,
                )
            )
            return (await session.scalars(stmt)).first()

    return stack.call(read)


def test_a_crm_contact_is_applied_once_and_a_late_older_update_changes_nothing(
    stack: Stack, tenant: str, org: str
) -> None:
    newer = {"modified_time": "2026-11-20T10:00:00+00:00", "Designation": "CTO"}
    older = {"modified_time": "2026-11-19T10:00:00+00:00", "Designation": "Intern"}
    person = {"First_Name": "Ada", "Last_Name": "Lovelace", "Email": "ada@example.com"}

    first = deliver(stack, org, "Contacts", "zc-1", **person, **newer, Title="CTO")
    again = deliver(stack, org, "Contacts", "zc-1", **person, **newer, Title="CTO")
    late = deliver(stack, org, "Contacts", "zc-1", **person, **older, Title="Intern")

    assert (first.status_code, again.status_code, late.status_code) == (200, 200, 200)
    assert "already processed" in again.text
    contacts = eventually(
        lambda: [c for c in nodes(stack, tenant, CONTACTS, "contacts") if c["email"]]
    )
    assert [(c["firstName"], c["lastName"], c["email"]) for c in contacts] == [
        ("Ada", "Lovelace", "ada@example.com")
    ]
    rows = eventually(lambda: processed(stored(stack, tenant)))
    assert [(r.outcome, r.entity_id is not None) for r in rows] == [
        ("created", True),
        ("skipped-older", True),
    ]
    [contact] = nodes(stack, tenant, CONTACTS, "contacts")
    assert contact["jobTitle"] == "CTO"


def test_a_deal_that_cannot_be_applied_yet_is_retried_until_its_cause_is_fixed(
    stack: Stack, tenant: str, org: str
) -> None:
    """The tenant has no pipeline: the mapper fails on the deal, twice at least, and applies
    it once the admin has made one."""
    answer = deliver(
        stack, org, "Deals", "zd-1", Deal_Name="Zoho deal", Amount="1234.50", Stage="Qualify",
        modified_time="2026-11-20T10:00:00+00:00",
    )  # fmt: skip
    assert answer.status_code == 200, answer.text
    [row] = stored(stack, tenant)

    failing = eventually(
        lambda: (d := mapper_delivery(stack, row.id)) is not None and d.attempts >= 2 and d
    )
    assert failing, "the mapper never failed twice on the deal"
    assert failing.state == "pending" and "pipeline" in (failing.last_error or "").lower()
    made = stack.graphql(
        """mutation { createPipeline(input: {name: "Sales", stages: [
             {name: "Qualify", order: 1, probability: 20},
             {name: "Won", order: 2, probability: 100}]}) { pipeline { id } } }""",
        tenant=tenant,
    ).json()
    assert "errors" not in made, made

    deals = eventually(lambda: nodes(stack, tenant, DEALS, "deals"), within=90)
    assert [(d["title"], d["value"], d["stage"]) for d in deals] == [
        ("Zoho deal", 1234.5, "Qualify")
    ]
    assert mapper_delivery(stack, row.id) is None


@pytest.fixture
def two_attempts() -> Iterator[None]:
    """The mapper gives up after two attempts (the stack runs in this process), so a dead
    letter comes within seconds."""
    before = ZohoMapper.max_attempts
    ZohoMapper.max_attempts = 2
    yield
    ZohoMapper.max_attempts = before


def test_a_dead_letter_is_replayed_once_its_cause_is_fixed(
    stack: Stack, tenant: str, org: str, two_attempts: None
) -> None:
    deliver(
        stack, org, "Deals", "zd-2", Deal_Name="Replayed deal", Amount="10",
        modified_time="2026-11-20T10:00:00+00:00",
    )  # fmt: skip
    [row] = stored(stack, tenant)
    dead = eventually(lambda: (d := mapper_delivery(stack, row.id)) and d.state == "dead" and d)
    assert dead and dead.attempts == 2 and dead.last_error
    stack.graphql(
        'mutation { createPipeline(input: {name: "S", stages: [{name: "New", order: 1, '
        "probability: 10}]}) { pipeline { id } } }",
        tenant=tenant,
    )
    time.sleep(1.5)
    assert nodes(stack, tenant, DEALS, "deals") == []  # a dead letter stays dead

    rep = httpx.post(
        f"{stack.rest_url}/api/v1/zoho/events/{row.id}/replay",
        headers={"authorization": f"Bearer {stack.token(tenant, roles=('sales_rep',))}"},
    )
    assert rep.status_code == 403, rep.text
    replayed = httpx.post(
        f"{stack.rest_url}/api/v1/zoho/events/{row.id}/replay",
        headers={"authorization": f"Bearer {stack.token(tenant)}"},
    )
    assert replayed.status_code == 202, replayed.text
    assert replayed.json()["data"]["was"] == "dead"
    deals = eventually(lambda: nodes(stack, tenant, DEALS, "deals"))
    assert [d["title"] for d in deals] == ["Replayed deal"]


def test_the_cli_replays_a_processed_event_and_refuses_an_unknown_one(
    stack: Stack, tenant: str, org: str
) -> None:
    deliver(
        stack, org, "Contacts", "zc-9", Last_Name="Hopper", Email="grace@example.com",
        modified_time="2026-11-20T10:00:00+00:00",
    )  # fmt: skip
    [row] = stored(stack, tenant)
    assert eventually(lambda: stored(stack, tenant)[0].processed_at is not None)
    env = {**os.environ, "DATABASE_URL": stack.settings.database_url}
    cli = [str(Path(sys.executable).parent / "crmgraph"), "webhooks", "replay"]

    known = subprocess.run([*cli, str(row.id)], env=env, capture_output=True, text=True)
    unknown = subprocess.run([*cli, str(uuid.uuid4())], env=env, capture_output=True, text=True)

    assert known.returncode == 0, known.stderr
    assert "(processed) queued" in known.stdout
    assert unknown.returncode == 2 and "no stored Zoho event" in unknown.stderr
    again = eventually(lambda: processed(stored(stack, tenant)))
    assert again[0].outcome == "skipped-older"  # applied again: the record is not newer
    assert len(nodes(stack, tenant, CONTACTS, "contacts")) == 1


def test_a_desk_ticket_add_becomes_a_communication(
    stack: Stack, tenant: str, tmp_path: Path
) -> None:
    """Desk's JWT-verified delivery (tests/data/zoho/desk_ticket_add.json) through the running
    shim and the zoho-mapper: the ticket is recorded as a communication."""
    org_id = f"{uuid.uuid4().int % 10**12}"
    jwks = desk_tests.write_jwks(tmp_path / "desk-jwks.json")

    async def register() -> None:
        async with stack.runtime.sessions() as session, session.begin():
            await orgs.add_org(session, scope=Scope(tenant_id=tenant), org_id=org_id,
                               secret=None, desk_jwks=str(jwks),
                               desk_webhook_ids=[desk_tests.WEBHOOK_ID])  # fmt: skip

    stack.call(register)
    answer = httpx.post(
        f"{stack.rest_url}/webhooks/zoho/desk",
        content=desk_tests.desk_body("desk_ticket_add.json", org_id),
        headers={"content-type": "application/json",
                 "X-ZDesk-JWT": desk_tests.desk_token(org_id)},
    )  # fmt: skip
    assert answer.status_code == 200, answer.text
    [row] = eventually(lambda: processed(stored(stack, tenant)))
    assert row.outcome == "recorded-as-activity" and row.entity_id is not None

    async def read() -> models.Communication | None:
        async with stack.runtime.sessions() as session:
            return await session.get(models.Communication, row.entity_id)

    communication = stack.call(read)
    assert communication is not None
    assert communication.subject == "Ticket #101: Printer jams on every second page"
    assert communication.type == "EMAIL"
