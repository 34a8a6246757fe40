"""Zoho CRM notification callbacks in the embedded mode (SQLite, one process): while the
zoho-mapper waits for Zoho's answer (a stand-in of Zoho's accounts server and CRM API on
loopback, tests/zoho_standin.py, slow on purpose), it holds no transaction, so SQLite's one
write lock stays free for everyone else's writes."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select, update

from crmgraph.config import Settings
from crmgraph.db import models
from crmgraph.db.scoping import Scope, scoped
from crmgraph.events.consumers.runner import ConsumerRunner
from crmgraph.events.consumers.zoho_mapper import ZohoMapper
from crmgraph.rest.app import create_rest_app
from crmgraph.runtime import Runtime
from crmgraph.zoho import orgs
from tests.integration.test_zoho_webhooks import open_runtime
from tests.zoho_standin import ZohoStandIn

DATA = Path(__file__).parents[1] / "data" / "zoho"
TOKEN = "TOKEN_FOR_VERIFICATION_OF_1000000068001"
CONTACT_ID = "4150868000000624001"


@pytest.fixture
def zoho() -> Iterator[ZohoStandIn]:
    standin = ZohoStandIn()
    record = json.loads((DATA / "records" / "crm_contact.json").read_text())["fields"]
    standin.records[("Contacts", CONTACT_ID)] = {**record, "id": CONTACT_ID}
    standin.start()
    yield standin
    standin.stop()


@pytest.fixture
async def embedded(pg_settings: Settings, tmp_path: Path) -> AsyncIterator[Runtime]:
    runtime = await open_runtime("sqlite", pg_settings, tmp_path)
    try:
        yield runtime
    finally:
        await runtime.close()


async def contacts(runtime: Runtime, tenant: str) -> list[models.Contact]:
    async with runtime.sessions() as session:
        stmt = scoped(select(models.Contact), models.Contact, tenant)
        return list(await session.scalars(stmt))


async def test_no_write_lock_is_held_while_zoho_is_slow(
    embedded: Runtime, tenant: str, zoho: ZohoStandIn
) -> None:
    org_id = f"{uuid.uuid4().int % 10**12}"
    oauth = orgs.OAuthClient(zoho.client_id, zoho.client_secret, zoho.refresh_token, zoho.url)
    async with embedded.sessions() as session, session.begin():
        await orgs.add_org(session, scope=Scope(tenant_id=tenant), org_id=org_id, secret=None,
                           tokens=[TOKEN], oauth=oauth)  # fmt: skip
    body = json.loads((DATA / "crm_notification_contacts.json").read_text())
    body.update(ids=[CONTACT_ID], operation="insert", query_params={"org_id": org_id})
    body.pop("affected_fields")
    zoho.delay = 3.0
    runner = ConsumerRunner(embedded.sessions, [ZohoMapper.from_runtime(embedded)])
    transport = httpx.ASGITransport(app=create_rest_app(embedded))
    task = asyncio.create_task(runner.run())
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://crmgraph") as client:
            answer = await client.post(f"/webhooks/zoho/crm?org_id={org_id}", json=body)
        assert answer.status_code == 200, answer.text
        async with asyncio.timeout(10):
            while zoho.asked == 0:  # noqa: ASYNC110 (the stand-in's thread counts)
                await asyncio.sleep(0.02)

        started = time.monotonic()
        async with embedded.sessions() as session, session.begin():  # SQLite: BEGIN IMMEDIATE
            d = models.OutboxDelivery
            await session.execute(
                update(d).where(d.consumer == ZohoMapper.name).values(attempts=d.attempts)
            )
        waited = time.monotonic() - started

        assert waited < 1.0, f"a write waited {waited:.2f} s for the mapper's transaction"
        async with asyncio.timeout(15):
            while not await contacts(embedded, tenant):  # noqa: ASYNC110 (the runner writes them)
                await asyncio.sleep(0.05)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)

    [contact] = await contacts(embedded, tenant)
    assert contact.zoho_id == CONTACT_ID
    assert zoho.gets == [("Contacts", CONTACT_ID, 200)]
