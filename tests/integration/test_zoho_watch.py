"""Zoho CRM notification channels: `crmgraph zoho watch` enables one (POST actions/watch with
our callback URL and the org's token, as tests/data/zoho/crm_watch_enable.json) and stores
it; the consumer runner's zoho-mapper renews channels close to their expiry (PATCH), enables
an ended one again (POST), leaves the others alone, and retries Zoho's failures without
stopping. Zoho is a stand-in on loopback (tests/zoho_standin.py) that records each call."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from crmgraph.config import Settings
from crmgraph.db.models import ZohoWatchChannel
from crmgraph.db.scoping import Scope, scoped
from crmgraph.db.types import utcnow
from crmgraph.events.consumers.runner import ConsumerRunner
from crmgraph.events.consumers.zoho_mapper import ZohoMapper
from crmgraph.runtime import Runtime
from crmgraph.zoho import channels, orgs
from crmgraph.zoho.values import utc
from crmgraph.zoho.watch_api import WatchApi
from tests.integration.test_zoho_webhooks import open_runtime
from tests.zoho_standin import ZohoStandIn

DATA = Path(__file__).parents[1] / "data" / "zoho"
CRMGRAPH = str(Path(sys.executable).parent / "crmgraph")
TOKEN = "TOKEN_FOR_VERIFICATION_OF_1000000068001"
BASE = "https://crm.example"


@pytest.fixture
def zoho() -> Iterator[ZohoStandIn]:
    standin = ZohoStandIn()
    standin.start()
    yield standin
    standin.stop()


async def register(runtime: Runtime, tenant: str, zoho: ZohoStandIn) -> str:
    org_id = f"{uuid.uuid4().int % 10**12}"
    oauth = orgs.OAuthClient(zoho.client_id, zoho.client_secret, zoho.refresh_token, zoho.url)
    async with runtime.sessions() as session, session.begin():
        await orgs.add_org(session, scope=Scope(tenant_id=tenant), org_id=org_id, secret=None,
                           tokens=["t" * 60, TOKEN], oauth=oauth)  # fmt: skip
    return org_id


async def stored(runtime: Runtime, tenant: str) -> dict[str, ZohoWatchChannel]:
    async with runtime.sessions() as session:
        found = await session.scalars(scoped(select(ZohoWatchChannel), ZohoWatchChannel, tenant))
        return {row.org_id: row for row in found}


def watch(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": settings.database_url}
    return subprocess.run([CRMGRAPH, "zoho", "watch", *args], env=env, capture_output=True,
                          text=True, timeout=60)  # fmt: skip


async def test_cli_watch_enables_a_channel_with_our_url_and_token_and_stores_it(
    pg_settings: Settings, tenant: str, zoho: ZohoStandIn
) -> None:
    runtime = await Runtime.open(pg_settings)
    try:
        org_id = await register(runtime, tenant, zoho)
        args = (org_id, "--tenant", tenant, "--modules", "Contacts,Deals")
        nowhere = await asyncio.to_thread(watch, pg_settings, *args)
        done = await asyncio.to_thread(watch, pg_settings, *args, "--base-url", BASE)
        again = await asyncio.to_thread(watch, pg_settings, *args, "--base-url", BASE)
        found = await stored(runtime, tenant)
    finally:
        await runtime.close()

    assert nowhere.returncode == 2 and "ZOHO_NOTIFY_BASE_URL" in nowhere.stderr
    assert done.returncode == 0, done.stderr
    assert again.returncode == 2 and "a channel already" in again.stderr
    [(method, body)] = zoho.watch_calls
    [item] = body["watch"]
    [documented] = json.loads((DATA / "crm_watch_enable.json").read_text())["watch"]
    assert method == "POST" and sorted(item) == sorted(documented)
    assert item["events"] == ["Contacts.all", "Deals.all"]
    assert item["notify_url"] == f"{BASE}/webhooks/zoho/crm?org_id={org_id}"
    assert item["token"] == TOKEN  # the first of its tokens Zoho takes (<= 50)
    asked = utc(datetime.fromisoformat(item["channel_expiry"]))
    assert timedelta(days=6) - timedelta(minutes=5) < asked - utcnow() <= timedelta(days=7)
    channel = found[org_id]
    assert (channel.channel_id, channel.channel_expiry) == (str(item["channel_id"]), asked)
    assert channel.renew_at == asked - channels.RENEW_BEFORE
    assert zoho.client_secret not in done.stdout + done.stderr


@pytest.fixture(params=["postgresql", "sqlite"])
async def runtime(
    request: pytest.FixtureRequest, own_pg_settings: Settings, tmp_path: Path
) -> AsyncIterator[Runtime]:
    # A database of its own: the stack's zoho-mapper would otherwise renew the channels too.
    settings = own_pg_settings.model_copy(update={"zoho_watch_check_seconds": 0.1})
    opened = await open_runtime(request.param, settings, tmp_path)
    try:
        yield opened
    finally:
        await opened.close()


async def until(check: Callable[[], object], within: float = 20.0) -> None:
    async with asyncio.timeout(within):
        while not check():  # noqa: ASYNC110 (the runner and the stand-in's thread change it)
            await asyncio.sleep(0.02)


async def test_the_worker_renews_channels_near_their_expiry_and_retries_failures(
    runtime: Runtime, tenant: str, zoho: ZohoStandIn
) -> None:
    mapper = ZohoMapper.from_runtime(runtime)
    api = WatchApi(mapper.api.tokens)
    near, ended, far = [await register(runtime, tenant, zoho) for _ in range(3)]
    for org_id in (near, ended, far):
        await channels.enable(runtime.sessions, api, scope=Scope(tenant_id=tenant),
                              org_id=org_id, modules=["Leads"], base_url=BASE)  # fmt: skip
    now, c = utcnow(), ZohoWatchChannel
    async with runtime.sessions() as session, session.begin():  # as if days had passed
        for org_id, expiry in ((near, now + timedelta(hours=1)), (ended, now - timedelta(1))):
            await session.execute(update(c).where(c.org_id == org_id).values(
                channel_expiry=expiry, renew_at=expiry - channels.RENEW_BEFORE))  # fmt: skip
    before = await stored(runtime, tenant)
    zoho.watch_calls.clear()
    zoho.watch_failures = [500, 503]
    seen_failure: list[str | None] = []

    async def failure_recorded() -> bool:
        row = (await stored(runtime, tenant))[near]
        if row.attempts:
            seen_failure.append(row.last_error)
        return bool(seen_failure)

    task = asyncio.create_task(ConsumerRunner(runtime.sessions, [mapper]).run())
    try:
        async with asyncio.timeout(20):
            while not await failure_recorded():  # noqa: ASYNC110 (the runner writes it)
                await asyncio.sleep(0.02)
        await until(lambda: len(zoho.watch_calls) >= 4)
        await asyncio.sleep(0.5)  # later looks find nothing more to renew
        assert not task.done(), "the runner stopped"
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    after = await stored(runtime, tenant)

    calls = [(method, str(body["watch"][0]["channel_id"])) for method, body in zoho.watch_calls]
    # the ended channel first (its renew_at is the earlier), each failing once, then renewed
    near_id, ended_id = before[near].channel_id, before[ended].channel_id
    assert calls == [("POST", ended_id), ("PATCH", near_id)] * 2
    assert seen_failure[0] is not None and "HTTP 50" in seen_failure[0]
    for org_id in (near, ended):
        row = after[org_id]
        assert (row.attempts, row.last_error) == (0, None)
        assert row.channel_expiry - utcnow() > timedelta(days=5)
        assert row.renew_at == row.channel_expiry - channels.RENEW_BEFORE
    assert after[far].channel_expiry == before[far].channel_expiry
