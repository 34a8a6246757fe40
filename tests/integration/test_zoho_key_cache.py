"""The REST shim keeps each Zoho organisation's keys in memory (crmgraph.zoho.key_cache), so
a delivery is stored in three statements and reads no keys; a change made elsewhere
(another connection, as another shim or the CLI would) holds from the next delivery on: the
old secret is refused (401, nothing stored) and the new one accepted, whether the secret is
updated in place, the organisation registered again with a new one, or removed."""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import event, update
from sqlalchemy.ext.asyncio import AsyncSession

from crmgraph.db.engine import create_engine
from crmgraph.db.models import ZohoOrg
from crmgraph.db.scoping import Scope
from crmgraph.zoho import orgs
from tests.integration.test_zoho_webhooks import SECRET, Shim, shim, spec000

__all__ = ["shim"]  # the fixture, on PostgreSQL and SQLite
NEW_SECRET = "rotated-secret-9876543210"


async def deliver(client: httpx.AsyncClient, org_id: str, secret: str) -> httpx.Response:
    """A new 000-format event (its own webhook id) signed with secret."""
    body = spec000(org_id, webhook_id=f"wh_{uuid.uuid4().hex}")
    signature = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    headers = {"content-type": "application/json", "X-Zoho-Org-Id": org_id,
               "X-Zoho-Signature": f"sha256={signature}"}  # fmt: skip
    return await client.post("/webhooks/zoho/crm", content=body, headers=headers)


async def test_a_delivery_is_stored_in_three_statements_and_reads_no_keys(shim: Shim) -> None:
    await deliver(shim.client, shim.org_id, SECRET)  # the first reads the keys
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        inserted = statement.startswith("INSERT INTO ")
        statements.append(statement.split(None, 3)[2] if inserted else statement)

    engines = [shim.runtime.engine.sync_engine, shim.runtime.read_engine.sync_engine]
    for engine in engines:
        event.listen(engine, "before_cursor_execute", count)
    try:
        answer = await deliver(shim.client, shim.org_id, SECRET)
    finally:
        for engine in engines:
            event.remove(engine, "before_cursor_execute", count)

    assert answer.status_code == 202, answer.text
    stores = ["zoho_inbound_events", "outbox_events", "outbox_deliveries"]
    if shim.runtime.engine.dialect.name == "postgresql":
        assert statements == stores
    else:  # SQLite keeps no keys: one read of them
        assert statements[1:] == stores and "FROM zoho_orgs" in statements[0]


@pytest.fixture
async def elsewhere(shim: Shim) -> AsyncIterator[AsyncSession]:
    """A session on an engine of its own: changes the shim hears nothing about."""
    engine = create_engine(shim.runtime.settings)
    try:
        async with AsyncSession(engine) as session:
            yield session
    finally:
        await engine.dispose()


async def change(session: AsyncSession, shim: Shim, how: str) -> None:
    async with session.begin():
        if how == "updated":
            await session.execute(
                update(ZohoOrg).where(ZohoOrg.org_id == shim.org_id).values(secret=NEW_SECRET)
            )
            return
        await orgs.delete_org(session, scope=Scope(tenant_id=shim.tenant), org_id=shim.org_id)
        if how == "registered again":
            await orgs.add_org(session, scope=Scope(tenant_id=shim.tenant), org_id=shim.org_id,
                               secret=NEW_SECRET)  # fmt: skip


@pytest.mark.parametrize("how", ["updated", "registered again"])
async def test_the_old_secret_is_refused_right_after_a_change(
    shim: Shim, elsewhere: AsyncSession, how: str
) -> None:
    before = await deliver(shim.client, shim.org_id, SECRET)  # its keys are now kept
    await change(elsewhere, shim, how)

    old = await deliver(shim.client, shim.org_id, SECRET)
    stored_after_old = await shim.counts()
    new = await deliver(shim.client, shim.org_id, NEW_SECRET)

    assert before.status_code == 202, before.text
    assert old.status_code == 401, old.text
    assert stored_after_old == (1, 1)
    assert new.status_code == 202, new.text
    assert await shim.counts() == (2, 2)


@pytest.mark.parametrize("how", ["updated", "registered again"])
async def test_the_new_secret_is_accepted_right_after_a_change(
    shim: Shim, elsewhere: AsyncSession, how: str
) -> None:
    before = await deliver(shim.client, shim.org_id, SECRET)
    await change(elsewhere, shim, how)

    new = await deliver(shim.client, shim.org_id, NEW_SECRET)
    old = await deliver(shim.client, shim.org_id, SECRET)

    assert (before.status_code, new.status_code, old.status_code) == (202, 202, 401), new.text
    assert await shim.counts() == (2, 2)


async def test_a_removed_organisation_is_refused_right_after(
    shim: Shim, elsewhere: AsyncSession
) -> None:
    before = await deliver(shim.client, shim.org_id, SECRET)
    await change(elsewhere, shim, "removed")

    after = await deliver(shim.client, shim.org_id, SECRET)

    assert before.status_code == 202, before.text
    assert after.status_code == 401, after.text
    assert json.loads(after.content)["error"]["code"] == "UNAUTHORIZED"
    assert await shim.counts() == (1, 1)
