"""The REST shim's Starlette app: health, OpenAPI, API keys, the OAuth2 token endpoint and the
router's credential introspection."""

from __future__ import annotations

from sqlalchemy.exc import DBAPIError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from crmgraph.errors import DomainError
from crmgraph.rest.api_keys import api_key_routes
from crmgraph.rest.envelope import envelope
from crmgraph.rest.errors import data_error, domain_error
from crmgraph.rest.introspect import introspect_routes
from crmgraph.rest.oauth import oauth_routes
from crmgraph.rest.openapi import OPENAPI
from crmgraph.rest.rate_limit import rate_limit_middleware
from crmgraph.rest.security import security_middleware
from crmgraph.rest.sse import sse_routes
from crmgraph.runtime import Runtime


def create_rest_app(runtime: Runtime) -> Starlette:
    async def health(request: Request) -> JSONResponse:
        checks = await runtime.health()
        ok = all(c.ok for c in checks)
        data = {
            "status": "ok" if ok else "degraded",
            "mode": runtime.settings.mode.value,
            "services": {
                c.service: {"status": "up" if c.ok else "down", "url": c.url, "detail": c.detail}
                for c in checks
            },
        }
        return JSONResponse(envelope(request, data, success=ok), status_code=200 if ok else 503)

    async def openapi(_: Request) -> JSONResponse:
        return JSONResponse(OPENAPI)

    return Starlette(
        routes=[
            Route("/health", health),
            Route("/openapi.json", openapi),
            *api_key_routes(runtime),
            *oauth_routes(runtime),
            *introspect_routes(runtime),
            *sse_routes(runtime),
        ],
        middleware=[*security_middleware(runtime.settings), rate_limit_middleware(runtime)],
        exception_handlers={DomainError: domain_error, DBAPIError: data_error},
    )
