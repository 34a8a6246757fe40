"""The REST shim's Starlette app: health, OpenAPI, API keys, the OAuth2 token endpoint, SSE and
the router's credential introspection."""

from __future__ import annotations

from sqlalchemy.exc import DBAPIError
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from crmgraph.errors import DomainError
from crmgraph.rest.api_keys import api_key_routes
from crmgraph.rest.body_limit import BodyLimitMiddleware
from crmgraph.rest.bulk import bulk_routes
from crmgraph.rest.errors import data_error, domain_error
from crmgraph.rest.health import health_routes
from crmgraph.rest.introspect import introspect_routes
from crmgraph.rest.oauth import oauth_routes
from crmgraph.rest.openapi import OPENAPI
from crmgraph.rest.rate_limit import rate_limit_middleware
from crmgraph.rest.security import security_middleware
from crmgraph.rest.sse import sse_routes
from crmgraph.runtime import Runtime


def create_rest_app(runtime: Runtime) -> Starlette:
    async def openapi(_: Request) -> JSONResponse:
        return JSONResponse(OPENAPI)

    return Starlette(
        routes=[
            *health_routes(runtime),
            Route("/openapi.json", openapi),
            *api_key_routes(runtime),
            *oauth_routes(runtime),
            *introspect_routes(runtime),
            *sse_routes(runtime),
            *bulk_routes(runtime),
        ],
        # Oversized bodies are refused before they are counted or read; the 413 still gets
        # the security and CORS headers.
        middleware=[
            *security_middleware(runtime.settings),
            Middleware(BodyLimitMiddleware, limit=runtime.settings.rest_max_body_bytes),
            rate_limit_middleware(runtime),
        ],
        exception_handlers={DomainError: domain_error, DBAPIError: data_error},
    )
