"""Outbound webhook management (tenant admins): the WebhookSubscription type, its query and
mutations; the same rules as /api/v1/webhooks (crmgraph.domain.webhooks)."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.scalars import JSON

from crmgraph.db import models
from crmgraph.domain import webhooks
from crmgraph.events.topics import Topic
from crmgraph.gql.context import Info
from crmgraph.gql.ids import parse_id
from crmgraph.gql.shared_types import DeletePayload, json_object


@strawberry.type(description="A receiver of the tenant's events. The secret is shown only once.")
class WebhookSubscription:
    id: strawberry.ID
    url: str
    events: list[str]
    filters: JSON = strawberry.field(description="Per event type: pipeline_ids, stage_ids, stages.")
    retry_config: JSON
    active: bool = strawberry.field(description="False once disabled after failures in a row.")
    consecutive_failures: int
    disabled_at: datetime | None
    disabled_reason: str | None
    created_at: datetime

    @classmethod
    def from_row(cls, row: models.WebhookSubscription) -> WebhookSubscription:
        return cls(
            id=strawberry.ID(str(row.id)), url=row.url, events=list(row.events),
            filters=JSON(row.filters), retry_config=JSON(row.retry_config), active=row.active,
            consecutive_failures=row.consecutive_failures, disabled_at=row.disabled_at,
            disabled_reason=row.disabled_reason, created_at=row.created_at,
        )  # fmt: skip


@strawberry.input
class WebhookRetryConfigInput:
    """Each absent one takes its default (in brackets)."""

    max_retries: int | None = strawberry.field(default=None, description="0 to 10 [3]")
    retry_delay_seconds: float | None = strawberry.field(default=None, description="0-3600 [60]")
    timeout_seconds: float | None = strawberry.field(default=None, description="0.1 to 30 [10]")
    disable_after_failures: int | None = strawberry.field(default=None, description="1-1000 [10]")


@strawberry.input
class CreateWebhookSubscriptionInput:
    url: str = strawberry.field(description="A public http(s) URL.")
    events: list[str] = strawberry.field(description="Event types: deal.stage_changed, ...")
    filters: JSON | None = strawberry.field(
        default=None,
        description=f'e.g. {{"{Topic.DEAL_STAGE_CHANGED}": {{"pipeline_ids": ["..."]}}}}',
    )
    secret: str | None = strawberry.field(default=None, description="Generated when absent.")
    retry_config: WebhookRetryConfigInput | None = None

    def to_domain(self) -> webhooks.NewWebhook:
        retry = self.retry_config
        given = {} if retry is None else {
            k: v for k, v in vars(retry).items() if v is not None
        }  # fmt: skip
        return webhooks.NewWebhook(
            url=self.url,
            events=self.events,
            filters=json_object(self.filters, field="filters") or {},
            secret=self.secret,
            retry_config=given,
        )


@strawberry.type
class CreateWebhookSubscriptionPayload:
    webhook_subscription: WebhookSubscription
    secret: str = strawberry.field(description="Verifies X-CRM-Signature. Not shown again.")


async def list_webhooks(info: Info) -> list[WebhookSubscription]:
    async with info.context.session() as session:
        rows = await webhooks.list_subscriptions(session, scope=info.context.scope)
    return [WebhookSubscription.from_row(row) for row in rows]


@strawberry.type
class WebhookQuery:
    webhook_subscriptions: list[WebhookSubscription] = strawberry.field(
        resolver=list_webhooks,
        description="The tenant's webhook subscriptions (at most 100), oldest first.",
    )


@strawberry.type
class WebhookMutation:
    @strawberry.mutation(description="Register a webhook; its secret is in this response only.")
    async def create_webhook_subscription(
        self, info: Info, input: CreateWebhookSubscriptionInput
    ) -> CreateWebhookSubscriptionPayload:
        data = input.to_domain()
        allow = info.context.runtime.settings.webhook_allow_private_targets
        row = await info.context.write(
            lambda session, scope: webhooks.create_subscription(
                session, scope=scope, data=data, allow_private=allow
            )
        )
        return CreateWebhookSubscriptionPayload(
            webhook_subscription=WebhookSubscription.from_row(row), secret=row.secret
        )

    @strawberry.mutation(description="Delete a webhook with its pending deliveries and history.")
    async def delete_webhook_subscription(self, info: Info, id: strawberry.ID) -> DeletePayload:
        webhook_id = parse_id(id)
        await info.context.write(
            lambda session, scope: webhooks.delete_subscription(
                session, scope=scope, webhook_id=webhook_id
            )
        )
        return DeletePayload(id=id)
