"""Pydantic payloads of /api/v1/webhooks, named as the API design's "Register Webhook
Endpoint" and "Webhook Delivery Failures" write them."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from crmgraph.db import models


class WebhookSecurity(BaseModel):
    model_config = ConfigDict(extra="forbid")

    secret: str | None = Field(default=None, description="16 to 200 characters; generated when "
                               "absent. Shown only in the response to this request.")  # fmt: skip
    signature_header: Literal["X-CRM-Signature"] = "X-CRM-Signature"


class RetryConfigIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    max_retries: int | None = Field(default=None, description="0 to 10 (default 3)")
    retry_delay_seconds: float | None = Field(
        default=None, description="0 to 3600 (default 60), doubled after each failure"
    )
    timeout_seconds: float | None = Field(default=None, description="0.1 to 30 (default 10)")
    disable_after_failures: int | None = Field(
        default=None, description="failed attempts in a row that disable it: 1 to 1000 (10)"
    )


class WebhookCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = Field(min_length=1, max_length=2000)
    events: list[str] = Field(min_length=1, max_length=64)
    filters: dict[str, dict[str, list[str]]] = Field(default_factory=dict)
    security: WebhookSecurity = Field(default_factory=WebhookSecurity)
    retry_config: RetryConfigIn = Field(default_factory=RetryConfigIn)


class Webhook(BaseModel):
    id: str
    url: str
    events: list[str]
    filters: dict[str, Any]
    retry_config: dict[str, Any]
    active: bool
    consecutive_failures: int
    disabled_at: datetime | None
    disabled_reason: str | None
    created_by: str | None
    created_at: datetime

    @classmethod
    def of(cls, row: models.WebhookSubscription) -> Webhook:
        return cls(
            id=str(row.id), url=row.url, events=list(row.events), filters=dict(row.filters),
            retry_config=dict(row.retry_config), active=row.active,
            consecutive_failures=row.consecutive_failures, disabled_at=row.disabled_at,
            disabled_reason=row.disabled_reason, created_by=row.created_by,
            created_at=row.created_at,
        )  # fmt: skip


class WebhookCreated(Webhook):
    secret: str = Field(description="Verifies X-CRM-Signature; not shown again")


class WebhookDeliveryAttempt(BaseModel):
    id: str
    event_id: str
    event_type: str
    attempt_number: int
    status: Literal["succeeded", "failed"]
    response_code: int | None
    response_excerpt: str | None
    error: str | None
    duration_ms: int
    created_at: datetime

    @classmethod
    def of(cls, row: models.WebhookDelivery) -> WebhookDeliveryAttempt:
        return cls(
            id=str(row.id), event_id=str(row.event_id), event_type=row.topic,
            attempt_number=row.attempt, status="succeeded" if row.succeeded else "failed",
            response_code=row.status_code, response_excerpt=row.response_excerpt,
            error=row.error, duration_ms=row.duration_ms, created_at=row.created_at,
        )  # fmt: skip


class WebhookDeleted(BaseModel):
    id: str
    deleted: Literal[True] = True
