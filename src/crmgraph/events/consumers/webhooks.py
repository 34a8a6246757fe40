"""The webhook consumer: fans each outbox event out to the tenant's matching subscriptions.

handle() only writes: one webhook_jobs row per active subscription whose events and filters
match (crmgraph.webhooks.filters), holding the exact body to send (crmgraph.webhooks.payloads),
in the batch's transaction, so the fan-out commits exactly once with the batch. Sending is the
dispatcher's (crmgraph.webhooks.dispatcher), which the runner runs beside the batches
(background()): each delivery on its own, outside any transaction, with the subscription's
retries, so no receiver holds back the outbox or another receiver.
"""

from __future__ import annotations

from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any, ClassVar, Self
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from crmgraph.db import models
from crmgraph.db.scoping import scoped
from crmgraph.db.types import utcnow
from crmgraph.events.bus import BusEvent
from crmgraph.events.consumers.base import Consumer, batch_session
from crmgraph.webhooks import filters, payloads
from crmgraph.webhooks.dispatcher import Dispatcher

if TYPE_CHECKING:
    from crmgraph.runtime import Runtime


class WebhookConsumer(Consumer):
    """Writes the webhook jobs of each event; its dispatcher sends them."""

    name: ClassVar[str] = "webhooks"
    # The dispatcher's: a claim and a record at a time, however many sends are in flight.
    background_connections: ClassVar[int] = 2

    def __init__(self, *, allow_private: bool, lease_slack: float) -> None:
        self.allow_private = allow_private
        self.lease_slack = lease_slack
        self.dispatcher: Dispatcher | None = None

    @classmethod
    def from_runtime(cls, runtime: Runtime) -> Self:
        settings = runtime.settings
        return cls(allow_private=settings.webhook_allow_private_targets,
                   lease_slack=settings.webhook_lease_slack_seconds)  # fmt: skip

    async def handle(self, event: BusEvent) -> None:
        session = batch_session()
        s = models.WebhookSubscription
        active = await session.scalars(scoped(select(s).where(s.active.is_(True)), s,
                                              event.tenant_id))  # fmt: skip
        matching = [
            sub for sub in active
            if filters.matches(sub.events, sub.filters, event.topic, event.payload)
        ]  # fmt: skip
        if not matching:
            return
        body = payloads.encode(payloads.event_body(event)).decode()
        now = utcnow()
        async with session.begin_nested():
            session.add_all(
                models.WebhookJob(
                    tenant_id=event.tenant_id,
                    subscription_id=sub.id,
                    event_id=UUID(event.event_id),
                    topic=event.topic,
                    body=body,
                    attempts=0,
                    next_attempt_at=now,
                )
                for sub in matching
            )
        if self.dispatcher is not None:
            self.dispatcher.wake()

    def background(self, sessions: async_sessionmaker[AsyncSession]) -> Coroutine[Any, Any, None]:
        self.dispatcher = Dispatcher(
            sessions, allow_private=self.allow_private, lease_slack=self.lease_slack,
            connections=self.background_connections,
        )  # fmt: skip
        return self.dispatcher.run()
