"""/api/v1/webhooks: register, list and delete outbound webhooks, list a webhook's delivery
attempts, send it a test ping (tenant admins: webhooks:write to change, webhooks:read to
read; crmgraph.auth.route_needs.ROUTES)."""

from __future__ import annotations

from uuid import UUID

from pydantic import RootModel
from starlette.requests import Request
from starlette.responses import JSONResponse

from crmgraph.auth.route_needs import ROUTES
from crmgraph.domain import webhooks
from crmgraph.errors import DomainError, ErrorCode
from crmgraph.rest.auth import scope_of
from crmgraph.rest.envelope import envelope
from crmgraph.rest.errors import parsed_body
from crmgraph.rest.operations import UUID_STRING, Operation, Param, Reply
from crmgraph.rest.webhook_payloads import (
    Webhook,
    WebhookCreate,
    WebhookCreated,
    WebhookDeleted,
    WebhookDeliveryAttempt,
)
from crmgraph.runtime import Runtime
from crmgraph.webhooks.ping import ping

BASE = "/api/v1/webhooks"
ONE = BASE + "/{webhook_id}"


def webhook_id_of(request: Request) -> UUID:
    try:
        return UUID(request.path_params["webhook_id"])
    except ValueError as exc:
        raise DomainError(ErrorCode.VALIDATION_ERROR, "not a webhook id", field="id") from exc


class WebhookList(RootModel[list[Webhook]]):
    pass


class DeliveryList(RootModel[list[WebhookDeliveryAttempt]]):
    pass


def webhook_operations(runtime: Runtime) -> list[Operation]:
    async def create(request: Request) -> JSONResponse:
        scope = await scope_of(request, runtime, needs=ROUTES[f"POST {BASE}"])
        body = await parsed_body(request, WebhookCreate)
        data = webhooks.NewWebhook(
            url=body.url, events=body.events, filters=body.filters,
            secret=body.security.secret,
            retry_config=body.retry_config.model_dump(exclude_none=True),
        )  # fmt: skip
        async with runtime.sessions() as session, session.begin():
            row = await webhooks.create_subscription(
                session, scope=scope, data=data,
                allow_private=runtime.settings.webhook_allow_private_targets,
            )  # fmt: skip
            created = WebhookCreated(**Webhook.of(row).model_dump(), secret=row.secret)
        return JSONResponse(envelope(request, created.model_dump(mode="json")), status_code=201)

    async def listed(request: Request) -> JSONResponse:
        scope = await scope_of(request, runtime, needs=ROUTES[f"GET {BASE}"])
        async with runtime.read_sessions() as session:
            rows = await webhooks.list_subscriptions(session, scope=scope)
        data = [Webhook.of(row).model_dump(mode="json") for row in rows]
        return JSONResponse(envelope(request, data))

    async def remove(request: Request) -> JSONResponse:
        scope = await scope_of(request, runtime, needs=ROUTES[f"DELETE {ONE}"])
        webhook_id = webhook_id_of(request)
        async with runtime.sessions() as session, session.begin():
            await webhooks.delete_subscription(session, scope=scope, webhook_id=webhook_id)
        return JSONResponse(envelope(request, WebhookDeleted(id=str(webhook_id)).model_dump()))

    async def deliveries(request: Request) -> JSONResponse:
        scope = await scope_of(request, runtime, needs=ROUTES[f"GET {ONE}/deliveries"])
        webhook_id = webhook_id_of(request)
        async with runtime.read_sessions() as session:
            rows = await webhooks.list_deliveries(session, scope=scope, webhook_id=webhook_id)
        data = [WebhookDeliveryAttempt.of(row).model_dump(mode="json") for row in rows]
        return JSONResponse(envelope(request, data))

    async def test(request: Request) -> JSONResponse:
        scope = await scope_of(request, runtime, needs=ROUTES[f"POST {ONE}/test"])
        row = await ping(runtime.sessions, scope=scope, webhook_id=webhook_id_of(request),
                         allow_private=runtime.settings.webhook_allow_private_targets)  # fmt: skip
        return JSONResponse(
            envelope(request, WebhookDeliveryAttempt.of(row).model_dump(mode="json"))
        )

    one = (Param.path("webhook_id", UUID_STRING),)
    return [
        Operation("POST", BASE, create, name="createWebhook", body=WebhookCreate,
                  summary="Register an outbound webhook; its secret is shown only here",
                  replies={201: Reply("Registered", WebhookCreated)}),
        Operation("GET", BASE, listed, name="listWebhooks", summary="The tenant's webhooks",
                  replies={200: Reply("Webhooks", WebhookList)}),
        Operation("DELETE", ONE, remove, name="deleteWebhook", params=one,
                  summary="Delete a webhook", replies={200: Reply("Deleted", WebhookDeleted)},
                  errors=(400, 404)),
        Operation("GET", ONE + "/deliveries", deliveries, name="listWebhookDeliveries",
                  params=one, summary="A webhook's latest delivery attempts (100)",
                  replies={200: Reply("Attempts, newest first", DeliveryList)},
                  errors=(400, 404)),
        Operation("POST", ONE + "/test", test, name="pingWebhook", params=one,
                  summary="Send the webhook a signed ping now",
                  replies={200: Reply("The attempt", WebhookDeliveryAttempt)},
                  errors=(400, 404)),
    ]  # fmt: skip
