"""A zoho-mapper batch of events that need nothing read from Zoho is one transaction: the
runner claims and handles it at once, without first looking at it in a transaction of its
own for a prefetch that has nothing to read."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from crmgraph.events.consumers.runner import ConsumerRunner
from crmgraph.events.consumers.zoho_mapper import ZohoMapper
from crmgraph.zoho.crm_api import Endpoints, ZohoCrmApi
from tests.integration.consumers.support import new_tenant
from tests.integration.consumers.test_zoho_worker_crash import contacts_of, store_contact, stored

# Nothing listens there: a batch that tried to read from Zoho would fail.
NOWHERE = Endpoints("http://127.0.0.1:9", "http://127.0.0.1:9", 1.0)


async def test_a_batch_without_reads_is_one_transaction(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    tenant = new_tenant()
    event_id = await store_contact(sessions, tenant)
    mapper = ZohoMapper(ZohoCrmApi(NOWHERE))
    runner = ConsumerRunner(sessions, [mapper])
    begun: list[object] = []

    def count(*_: Any) -> None:
        begun.append(None)

    engine = sessions.kw["bind"].sync_engine
    event.listen(engine, "begin", count)
    try:
        batch = await runner.run_batch(mapper)
    finally:
        event.remove(engine, "begin", count)
    assert batch.claimed == 1
    assert len(begun) == 1  # the claim, the mapping and the settling, in one
    assert (await stored(sessions, event_id)).processed_at is not None
    assert await contacts_of(sessions, tenant) == 1
