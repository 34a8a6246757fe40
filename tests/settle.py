"""Waiting for the outbox consumers: until none of a tenant's events is pending for one
consumer (or for any), so a test reads what the consumers wrote."""

from __future__ import annotations

import time

from sqlalchemy import select

from crmgraph.db import models
from crmgraph.events import deliveries
from tests.stack import Stack


def settled(stack: Stack, tenant: str, consumer: str | None = None, within: float = 60) -> None:
    async def pending() -> int:
        d, o = models.OutboxDelivery, models.OutboxEvent
        stmt = (
            select(d.outbox_id)
            .join(o, o.id == d.outbox_id)
            .where(o.tenant_id == tenant, d.state == deliveries.PENDING)
        )
        if consumer is not None:
            stmt = stmt.where(d.consumer == consumer)
        async with stack.runtime.engine.connect() as conn:
            return len((await conn.execute(stmt)).all())

    deadline = time.monotonic() + within
    while stack.call(pending):
        assert time.monotonic() < deadline, f"{consumer or 'the consumers'} did not catch up"
        time.sleep(0.1)
