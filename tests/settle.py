"""Waiting for the outbox consumers: until none of a tenant's events is pending for the
consumers named (one, several, or by default any), so a test reads what they wrote.

The limit is generous because the suite runs on a loaded machine and the session's one
stack may be working through other tests' events first; the wait ends as soon as nothing is
pending."""

from __future__ import annotations

import time
from collections.abc import Collection

from sqlalchemy import select

from crmgraph.db import models
from crmgraph.events import deliveries
from tests.stack import Stack


def settled(
    stack: Stack, tenant: str, consumer: str | Collection[str] | None = None, within: float = 90
) -> None:
    names = [consumer] if isinstance(consumer, str) else consumer

    async def pending() -> int:
        d, o = models.OutboxDelivery, models.OutboxEvent
        stmt = (
            select(d.outbox_id)
            .join(o, o.id == d.outbox_id)
            .where(o.tenant_id == tenant, d.state == deliveries.PENDING)
        )
        if names is not None:
            stmt = stmt.where(d.consumer.in_(names))
        async with stack.runtime.engine.connect() as conn:
            return len((await conn.execute(stmt)).all())

    deadline = time.monotonic() + within
    while stack.call(pending):
        who = ", ".join(names) if names is not None else "the consumers"
        assert time.monotonic() < deadline, f"{who} did not catch up within {within:g} s"
        time.sleep(0.1)
