"""An organisation's OAuth client changed in place: over REST (PATCH /api/v1/zoho/orgs/{org_id},
tenant admins) and with `crmgraph zoho set-oauth`. The change holds at once: the next record
the zoho-mapper reads from Zoho (a stand-in of Zoho's accounts server and CRM API on loopback,
tests/zoho_standin.py) comes with an access token of the new client, not the one it cached.
Secrets are never shown; a bad change is 400 and changes nothing."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from crmgraph.config import Settings
from crmgraph.db import models
from crmgraph.db.scoping import Scope, scoped
from crmgraph.events.consumers.runner import ConsumerRunner
from crmgraph.events.consumers.zoho_mapper import ZohoMapper
from crmgraph.rest.app import create_rest_app
from crmgraph.runtime import Runtime
from crmgraph.zoho import orgs
from tests.identity_provider import IdentityProvider
from tests.zoho_standin import ZohoStandIn

DATA = Path(__file__).parents[1] / "data" / "zoho"
CRMGRAPH = str(Path(sys.executable).parent / "crmgraph")
TOKEN = "TOKEN_FOR_VERIFICATION_OF_1000000068001"
CONTACT_ID = "4150868000000624001"
NEW_CLIENT = ("1000.NEWCLIENT0002", "new-client-secret-0002", "1000.new-refresh-token-0002")


@pytest.fixture
def zoho() -> Iterator[ZohoStandIn]:
    standin = ZohoStandIn()
    record = json.loads((DATA / "records" / "crm_contact.json").read_text())["fields"]
    standin.records[("Contacts", CONTACT_ID)] = {**record, "id": CONTACT_ID}
    standin.clients[NEW_CLIENT[0]] = NEW_CLIENT[1:]
    standin.start()
    yield standin
    standin.stop()


@pytest.fixture
async def runtime(own_pg_settings: Settings, zoho: ZohoStandIn) -> AsyncIterator[Runtime]:
    # A database of its own: the stack's zoho-mapper would otherwise take the callbacks.
    settings = own_pg_settings.model_copy(update={"zoho_accounts_url": zoho.url})
    opened = await Runtime.open(settings)
    try:
        yield opened
    finally:
        await opened.close()


def bearer(identity_provider: IdentityProvider, tenant: str, role: str) -> dict[str, str]:
    token = identity_provider.token(tenant_id=tenant, user_roles=[role])
    return {"Authorization": f"Bearer {token}"}


def callback(org_id: str, operation: str, at: int) -> dict[str, object]:
    body = json.loads((DATA / "crm_notification_contacts.json").read_text())
    body.update(ids=[CONTACT_ID], operation=operation, server_time=at,
                query_params={"org_id": org_id})  # fmt: skip
    return body


async def until(check: Callable[[], object], within: float = 60.0) -> None:
    async with asyncio.timeout(within):
        while not check():  # noqa: ASYNC110 (the runner and the stand-in's thread change it)
            await asyncio.sleep(0.05)


async def processed(runtime: Runtime, tenant: str) -> int:
    event = models.ZohoInboundEvent
    async with runtime.sessions() as session:
        found = await session.scalars(scoped(select(event), event, tenant))
        return sum(1 for row in found if row.processed_at is not None)


async def test_a_client_changed_over_rest_is_used_at_once_and_never_shown(
    runtime: Runtime, tenant: str, zoho: ZohoStandIn, identity_provider: IdentityProvider
) -> None:
    admin = bearer(identity_provider, tenant, "tenant_admin")
    org_id = f"{uuid.uuid4().int % 10**12}"
    path = f"/api/v1/zoho/orgs/{org_id}"
    runner = ConsumerRunner(runtime.sessions, [ZohoMapper.from_runtime(runtime)])
    task = asyncio.create_task(runner.run())
    transport = httpx.ASGITransport(app=create_rest_app(runtime))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://crmgraph") as client:
            made = await client.post("/api/v1/zoho/orgs", headers=admin, json={
                "org_id": org_id, "tokens": [TOKEN], "client_id": zoho.client_id,
                "client_secret": zoho.client_secret, "refresh_token": zoho.refresh_token,
            })  # fmt: skip
            assert made.status_code == 201, made.text
            first = await client.post(f"/webhooks/zoho/crm?org_id={org_id}",
                                      json=callback(org_id, "insert", 1795862400000))  # fmt: skip
            assert first.status_code == 200, first.text
            await until(lambda: len(zoho.got_with) == 1)

            rep = await client.patch(path, headers=bearer(identity_provider, tenant, "sales_rep"),
                                     json={"client_id": NEW_CLIENT[0]})  # fmt: skip
            half = await client.patch(path, headers=admin, json={"client_secret": None})
            unknown = await client.patch(path, headers=admin, json={"client_name": "x"})
            other = await client.patch(f"{path}0", headers=admin, json={"client_id": "1000.X"})
            changed = await client.patch(
                path,
                headers=admin,
                json=dict(
                    zip(("client_id", "client_secret", "refresh_token"), NEW_CLIENT, strict=True)
                ),
            )
            listed = await client.get("/api/v1/zoho/orgs", headers=admin)
            zoho.records[("Contacts", CONTACT_ID)]["Modified_Time"] = "2026-11-28T12:00:00+00:00"
            second = await client.post(f"/webhooks/zoho/crm?org_id={org_id}",
                                       json=callback(org_id, "update", 1795870000000))  # fmt: skip
            assert second.status_code == 200, second.text
            await until(lambda: len(zoho.got_with) == 2)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    async with runtime.sessions() as session:
        kept = await orgs.find_oauth(session, org_id, scope=Scope(tenant_id=tenant))

    assert (rep.status_code, half.status_code, unknown.status_code, other.status_code) == (
        403, 400, 400, 404)  # fmt: skip
    assert half.json()["errors"][0]["field"] == "client_secret"
    assert changed.status_code == 200, changed.text
    assert changed.json()["data"]["has_oauth_client"] is True
    for answer in (changed, listed):
        assert NEW_CLIENT[1] not in answer.text and NEW_CLIENT[2] not in answer.text
    assert kept == orgs.OAuthClient(*NEW_CLIENT)
    # the read after the change came with a token of the new client, though the old one's
    # token had not expired
    assert zoho.got_with == [zoho.client_id, NEW_CLIENT[0]]
    assert zoho.token_calls == 2


def set_oauth(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": settings.database_url}
    return subprocess.run([CRMGRAPH, "zoho", "set-oauth", *args], env=env,
                          capture_output=True, text=True, timeout=60)  # fmt: skip


async def test_cli_set_oauth_changes_what_it_is_given_and_keeps_the_rest(
    runtime: Runtime, own_pg_settings: Settings, tenant: str, zoho: ZohoStandIn
) -> None:
    org_id = f"{uuid.uuid4().int % 10**12}"
    old = orgs.OAuthClient(zoho.client_id, zoho.client_secret, zoho.refresh_token)
    async with runtime.sessions() as session, session.begin():
        await orgs.add_org(session, scope=Scope(tenant_id=tenant), org_id=org_id, secret=None,
                           tokens=[TOKEN], oauth=old)  # fmt: skip

    nothing = await asyncio.to_thread(set_oauth, own_pg_settings, org_id, "--tenant", tenant)
    elsewhere = await asyncio.to_thread(
        set_oauth, own_pg_settings, org_id, "--tenant", f"{tenant}x", "--refresh-token", "1000.abc"
    )
    done = await asyncio.to_thread(
        set_oauth, own_pg_settings, org_id, "--tenant", tenant, "--refresh-token", NEW_CLIENT[2],
        "--accounts-url", "https://accounts.zoho.eu",
    )  # fmt: skip
    async with runtime.sessions() as session:
        kept = await orgs.find_oauth(session, org_id, scope=Scope(tenant_id=tenant))

    assert nothing.returncode == 2 and "at least one" in nothing.stderr
    assert elsewhere.returncode == 2 and "no such Zoho organisation" in elsewhere.stderr
    assert done.returncode == 0, done.stderr
    assert NEW_CLIENT[2] not in done.stdout and "Traceback" not in done.stderr + elsewhere.stderr
    assert kept == orgs.OAuthClient(zoho.client_id, zoho.client_secret, NEW_CLIENT[2],
                                    "https://accounts.zoho.eu")  # fmt: skip
