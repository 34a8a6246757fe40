"""Webhook subscriptions (tenant admins): register, list, delete, and read their attempts.

A subscription names a public http(s) URL (crmgraph.webhooks.addresses), the event types it
wants with optional filters (crmgraph.webhooks.filters), a secret that signs each delivery
(generated when not given, shown once) and how to retry (RetryConfig).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields
from typing import Any, ClassVar
from uuid import UUID

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from crmgraph.auth import read_needs
from crmgraph.db import models
from crmgraph.db.scoping import Scope, get_scoped, scoped
from crmgraph.domain import bounds, validation
from crmgraph.webhooks import addresses, filters, signing

MAX_URL = 2000


@dataclass(frozen=True, kw_only=True)
class RetryConfig:
    """The API design's retry_config, plus when to give up on the receiver altogether.

    An event gets 1 + max_retries attempts, the n-th retry retry_delay_seconds * 2**(n-1)
    after the failure before it (at most an hour); each waits timeout_seconds for an answer.
    After disable_after_failures failed attempts in a row (any events) the subscription is
    disabled until registered again."""

    max_retries: int = 3
    retry_delay_seconds: float = 60.0
    timeout_seconds: float = 10.0
    disable_after_failures: int = 10

    LIMITS: ClassVar[dict[str, tuple[float, float]]] = {
        "max_retries": (0, 10),
        "retry_delay_seconds": (0, 3600),
        "timeout_seconds": (0.1, 30),
        "disable_after_failures": (1, 1000),
    }

    @classmethod
    def parse(cls, given: Mapping[str, Any] | None) -> RetryConfig:
        """From a client's object; VALIDATION_ERROR on `retry_config.<key>`."""
        given = dict(given or {})
        known = {f.name for f in fields(cls)}
        for key in given:
            if key not in known:
                raise validation.invalid(
                    f"retry_config.{key}", f"retry_config takes {', '.join(sorted(known))}"
                )
        for key, (low, high) in cls.LIMITS.items():
            value = given.get(key)
            if value is None:
                continue
            integral = key in ("max_retries", "disable_after_failures")
            if (
                isinstance(value, bool)
                or not isinstance(value, int | float)
                or (integral and value != int(value))
                or not low <= value <= high
            ):
                kind = "an integer" if integral else "a number"
                raise validation.invalid(
                    f"retry_config.{key}", f"{key} must be {kind} from {low} to {high}"
                )
            given[key] = int(value) if integral else float(value)
        return cls(**given)

    def backoff(self, failed: int) -> float:
        """Seconds from the failed-th failed attempt of an event to the next."""
        return float(min(self.retry_delay_seconds * 2 ** max(failed - 1, 0), 3600))

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, kw_only=True)
class NewWebhook:
    url: str
    events: Sequence[str]
    filters: Mapping[str, Any] = field(default_factory=dict)
    secret: str | None = None
    retry_config: Mapping[str, Any] | None = None


async def create_subscription(
    session: AsyncSession, *, scope: Scope, data: NewWebhook, allow_private: bool
) -> models.WebhookSubscription:
    """The new subscription; its secret (row.secret) is for the creator's eyes only."""
    url = validation.required_text(data.url, field="url", max_length=MAX_URL)
    # Before any statement: the DNS lookup must not hold a transaction (on SQLite, the
    # database's one write lock) while it waits.
    await addresses.validate_target(url, allow_private=allow_private)
    events = filters.validate_events(data.events)
    for i, topic in enumerate(events):
        if not read_needs.may_receive(scope.permissions, topic):
            raise validation.invalid(
                f"events.{i}", f"your permissions do not let you read {topic} events"
            )
    stored_filters = filters.validate_filters(data.filters, events)
    retry = RetryConfig.parse(data.retry_config)
    secret = data.secret if data.secret is not None else signing.new_secret()
    if len(secret) < 16 or len(secret) > 200:
        raise validation.invalid("secret", "secret must be 16 to 200 characters")
    s = models.WebhookSubscription
    count = await session.scalar(scoped(select(func.count()).select_from(s), s, scope))
    if (count or 0) >= bounds.WEBHOOKS:
        raise validation.invalid("url", f"a tenant has at most {bounds.WEBHOOKS} webhooks")
    row = models.WebhookSubscription(
        tenant_id=scope.tenant_id,
        url=url,
        events=events,
        filters=stored_filters,
        secret=secret,
        retry_config=retry.as_json(),
        active=True,
        consecutive_failures=0,
        created_by=scope.subject,
    )
    session.add(row)
    await session.flush()
    return row


async def list_subscriptions(
    session: AsyncSession, *, scope: Scope
) -> list[models.WebhookSubscription]:
    s = models.WebhookSubscription
    stmt = scoped(select(s), s, scope).order_by(s.created_at, s.id).limit(bounds.WEBHOOKS)
    return list(await session.scalars(stmt))


async def get_subscription(
    session: AsyncSession, *, scope: Scope, webhook_id: UUID, lock: bool = False
) -> models.WebhookSubscription:
    return await get_scoped(
        session, models.WebhookSubscription, webhook_id, scope=scope, field="id", lock=lock
    )


async def delete_subscription(
    session: AsyncSession, *, scope: Scope, webhook_id: UUID
) -> models.WebhookSubscription:
    """Deletes it with its pending deliveries and its attempts' history."""
    row = await get_subscription(session, scope=scope, webhook_id=webhook_id, lock=True)
    await session.delete(row)
    await session.flush()
    return row


async def list_deliveries(
    session: AsyncSession, *, scope: Scope, webhook_id: UUID
) -> list[models.WebhookDelivery]:
    """The subscription's latest attempts, newest first."""
    await get_subscription(session, scope=scope, webhook_id=webhook_id)
    d = models.WebhookDelivery
    stmt = (
        scoped(select(d), d, scope)
        .where(d.subscription_id == webhook_id)
        .order_by(d.created_at.desc(), d.attempt.desc())
        .limit(bounds.WEBHOOK_DELIVERIES)
    )
    return list(await session.scalars(stmt))
