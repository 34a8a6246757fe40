"""A `crmgraph worker` SIGKILLed in the middle of a Zoho job: it has claimed the stored event's
delivery and is applying it (blocked on the stored row, which this test holds locked), so
nothing of the job is committed. Another worker then applies it, once: one contact, the
event processed, nothing pending or dead."""

from __future__ import annotations

import signal
import uuid
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from crmgraph.config import Settings
from crmgraph.db import models
from crmgraph.db.scoping import Scope, scoped
from crmgraph.events.consumers.zoho_mapper import ZohoMapper
from crmgraph.zoho import inbound, orgs
from crmgraph.zoho.formats.base import InboundEvent
from tests.integration.consumers.support import (
    deliveries_of,
    new_tenant,
    start_worker,
    stop_worker,
    wait_for_row,
)

# The killed worker's mapper waits for the stored row's lock, inside its batch.
MAPPING_BLOCKED = """SELECT count(*) = 1 FROM pg_stat_activity
    WHERE datname = current_database() AND wait_event_type = 'Lock'
    AND query LIKE 'SELECT zoho_inbound_events%FOR UPDATE%'"""


async def store_contact(sessions: async_sessionmaker[AsyncSession], tenant: str) -> uuid.UUID:
    """A received Zoho CRM contact, stored as the webhook route stores it."""
    org_id = f"org{uuid.uuid4().int % 10**12}"
    event = InboundEvent(
        zoho_module="Contacts", operation="create", record_id="zc-crash",
        event_time=datetime(2026, 11, 20, 10, tzinfo=UTC),
        fields={"First_Name": "Ada", "Last_Name": "Lovelace", "Email": "ada@example.com"},
    )  # fmt: skip
    async with sessions() as session, session.begin():
        await orgs.add_org(session, scope=Scope(tenant_id=tenant), org_id=org_id,
                           secret="s" * 24, tokens=[])  # fmt: skip
        source = inbound.Source(tenant, org_id, "crm", "crm_workflow", "corr-crash")
        [row] = (await inbound.store(session, source, [event])).added
    return row.id


async def contacts_of(sessions: async_sessionmaker[AsyncSession], tenant: str) -> int:
    async with sessions() as session:
        stmt = scoped(select(func.count()).select_from(models.Contact), models.Contact, tenant)
        return int(await session.scalar(stmt.where(models.Contact.zoho_id == "zc-crash")) or 0)


async def stored(
    sessions: async_sessionmaker[AsyncSession], event_id: uuid.UUID
) -> models.ZohoInboundEvent:
    async with sessions() as session:
        row = await session.get(models.ZohoInboundEvent, event_id)
        assert row is not None
        return row


async def test_worker_killed_mid_zoho_job_loses_and_repeats_nothing(
    sessions: async_sessionmaker[AsyncSession], outbox_settings: Settings, tmp_path: Path
) -> None:
    tenant = new_tenant()
    event_id = await store_contact(sessions, tenant)

    async with sessions() as holder, holder.begin():
        await holder.get(models.ZohoInboundEvent, event_id, with_for_update=True)
        doomed = await start_worker(outbox_settings, tmp_path / "doomed.log")
        try:
            await wait_for_row(sessions, MAPPING_BLOCKED)
        finally:
            doomed.send_signal(signal.SIGKILL)
            assert await doomed.wait() == -signal.SIGKILL

    assert (await stored(sessions, event_id)).processed_at is None
    assert await contacts_of(sessions, tenant) == 0
    [waiting] = await deliveries_of(sessions, tenant, ZohoMapper.name)
    assert waiting.state == "pending"

    restarted = await start_worker(outbox_settings, tmp_path / "restarted.log")
    try:
        await wait_for_row(
            sessions,
            f"SELECT processed_at IS NOT NULL FROM zoho_inbound_events WHERE id = '{event_id}'",
        )
    finally:
        assert await stop_worker(restarted) == 0

    row = await stored(sessions, event_id)
    assert (row.outcome, row.entity_id is not None) == ("created", True)
    assert await contacts_of(sessions, tenant) == 1
    assert await deliveries_of(sessions, tenant, ZohoMapper.name) == []
