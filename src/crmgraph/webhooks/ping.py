"""A test delivery: a signed `ping` event sent to a subscription at once, its attempt recorded
like any other (it does not count towards disabling the subscription)."""

from __future__ import annotations

import uuid
from uuid import UUID

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from crmgraph.db import models
from crmgraph.db.scoping import Scope
from crmgraph.db.types import utcnow
from crmgraph.domain import webhooks
from crmgraph.rest.metrics import WEBHOOK_DELIVERIES
from crmgraph.webhooks import payloads
from crmgraph.webhooks.dispatcher import attempt_row
from crmgraph.webhooks.sender import delivery_id, send


async def ping(
    sessions: async_sessionmaker[AsyncSession], *, scope: Scope, webhook_id: UUID,
    allow_private: bool,
) -> models.WebhookDelivery:  # fmt: skip
    """Send a ping to the subscription now (disabled or not) and return its attempt."""
    async with sessions() as session:
        sub = await webhooks.get_subscription(session, scope=scope, webhook_id=webhook_id)
        url, secret = sub.url, sub.secret
        retry = webhooks.RetryConfig.parse(sub.retry_config)
    event_id = uuid.uuid4()
    body = payloads.ping_body(str(event_id), scope.tenant_id, str(webhook_id), utcnow())
    async with httpx.AsyncClient() as client:
        attempt = await send(
            client, url=url, secret=secret, body=payloads.encode(body), event_id=str(event_id),
            delivery=delivery_id(webhook_id, event_id), topic=payloads.PING,
            wait=retry.timeout_seconds, allow_private=allow_private,
        )  # fmt: skip
    WEBHOOK_DELIVERIES.labels(outcome=attempt.outcome()).inc()
    row = attempt_row(tenant_id=scope.tenant_id, subscription_id=webhook_id, event_id=event_id,
                      topic=payloads.PING, number=1, attempt=attempt)  # fmt: skip
    async with sessions() as session, session.begin():
        await webhooks.get_subscription(session, scope=scope, webhook_id=webhook_id, lock=True)
        session.add(row)
    return row
