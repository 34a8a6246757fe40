"""The REST shim's Starlette app: health, metrics, OpenAPI and its docs page, API keys, the
OAuth2 token endpoint, SSE and the router's credential introspection.

Every route is an Operation (crmgraph.rest.operations: how a route declares itself); the
routes and the OpenAPI document are both made from OPERATIONS' lists here.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.exc import DBAPIError
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse

from crmgraph.errors import DomainError
from crmgraph.lifecycle import CutShort
from crmgraph.rest.analytics import analytics_operations
from crmgraph.rest.api_keys import api_key_operations
from crmgraph.rest.body_limit import BodyLimitMiddleware
from crmgraph.rest.bulk import bulk_operations
from crmgraph.rest.customer_health import customer_health_operations
from crmgraph.rest.docs import docs_page
from crmgraph.rest.errors import data_error, domain_error, scope_error
from crmgraph.rest.health import health_operations
from crmgraph.rest.introspect import introspect_operations
from crmgraph.rest.oauth import oauth_operations
from crmgraph.rest.observe import ObserveMiddleware
from crmgraph.rest.openapi import openapi_document
from crmgraph.rest.operations import Operation, Reply, routes_of
from crmgraph.rest.rate_limit import rate_limit_middleware
from crmgraph.rest.security import security_middleware
from crmgraph.rest.sse import sse_operations
from crmgraph.rest.stage_automation import stage_automation_operations
from crmgraph.rest.webhooks import webhook_operations
from crmgraph.rest.zoho_orgs import zoho_org_operations
from crmgraph.rest.zoho_webhooks import PREFIX as ZOHO_WEBHOOKS
from crmgraph.rest.zoho_webhooks import zoho_webhook_operations
from crmgraph.runtime import Runtime

# A new module of routes adds its `..._operations` here.
OPERATIONS: list[Callable[[Runtime], list[Operation]]] = [
    health_operations,
    api_key_operations,
    bulk_operations,
    oauth_operations,
    introspect_operations,
    sse_operations,
    webhook_operations,
    zoho_org_operations,
    zoho_webhook_operations,
    analytics_operations,
    customer_health_operations,
    stage_automation_operations,
]


def document_operations(document: dict[str, object]) -> list[Operation]:
    """/openapi.json and /docs, which serve the document made from every operation."""
    page = docs_page(document)

    async def openapi(_: Request) -> JSONResponse:
        return JSONResponse(document)

    async def docs(_: Request) -> HTMLResponse:
        return HTMLResponse(page)

    object_schema = {"type": "object"}
    return [
        Operation("GET", "/openapi.json", openapi, name="openapi", summary="This document",
                  replies={200: Reply("OpenAPI 3.1 document", schema=object_schema,
                                      enveloped=False)}),
        Operation("GET", "/docs", docs, name="docs",
                  summary="This document as an HTML page (works offline, no scripts)",
                  replies={200: Reply("HTML", schema={"type": "string"}, media_type="text/html",
                                      enveloped=False)}),
    ]  # fmt: skip


def all_operations(runtime: Runtime) -> tuple[list[Operation], dict[str, object]]:
    """Every operation of the shim, and the OpenAPI document of them all."""
    operations = [op for declare in OPERATIONS for op in declare(runtime)]
    # The document's own operations are in it too: declared with a placeholder first.
    served = document_operations({})
    document = openapi_document([*operations, *served])
    return [*operations, *document_operations(document)], document


def create_rest_app(runtime: Runtime) -> Starlette:
    operations, _ = all_operations(runtime)
    routes = routes_of(operations)
    return Starlette(
        routes=routes,
        # Oversized bodies are refused before they are counted or read; the 413 still gets
        # the security and CORS headers, and every answer its X-Request-ID.
        middleware=[
            # A request the shutdown's drain cut short: 503 with Retry-After, not a 500.
            Middleware(CutShort, draining=lambda: runtime.lifecycle.draining, answer=scope_error),
            Middleware(ObserveMiddleware, routes=routes),
            *security_middleware(runtime.settings),
            Middleware(
                BodyLimitMiddleware,
                limit=runtime.settings.rest_max_body_bytes,
                by_prefix={ZOHO_WEBHOOKS: runtime.settings.zoho_webhook_max_body_bytes},
            ),
            rate_limit_middleware(runtime, operations),
        ],
        exception_handlers={DomainError: domain_error, DBAPIError: data_error},
    )
