"""The REST shim's Starlette app: GET /health and GET /openapi.json so far."""

from __future__ import annotations

from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from crmgraph import __version__
from crmgraph.rest.envelope import envelope
from crmgraph.rest.security import security_middleware
from crmgraph.runtime import Runtime

OPENAPI: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {
        "title": "crmgraph REST shim",
        "version": __version__,
        "description": "Health and webhooks beside the federated GraphQL API at :4000/graphql.",
    },
    "paths": {
        "/health": {
            "get": {
                "summary": "Each dependency's status",
                "responses": {
                    "200": {
                        "description": "Every dependency answers",
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Health"}}
                        },
                    },
                    "503": {
                        "description": "At least one dependency does not answer",
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Health"}}
                        },
                    },
                },
            }
        },
        "/openapi.json": {
            "get": {
                "summary": "This document",
                "responses": {"200": {"description": "OpenAPI 3.1 document"}},
            }
        },
    },
    "components": {
        "schemas": {
            "ServiceStatus": {
                "type": "object",
                "required": ["status", "url", "detail"],
                "properties": {
                    "status": {"type": "string", "enum": ["up", "down"]},
                    "url": {"type": "string"},
                    "detail": {"type": "string"},
                },
            },
            "Health": {
                "type": "object",
                "required": ["success", "data", "meta", "errors"],
                "properties": {
                    "success": {"type": "boolean"},
                    "data": {
                        "type": "object",
                        "required": ["status", "mode", "services"],
                        "properties": {
                            "status": {"type": "string", "enum": ["ok", "degraded"]},
                            "mode": {"type": "string", "enum": ["embedded", "full"]},
                            "services": {
                                "type": "object",
                                "additionalProperties": {
                                    "$ref": "#/components/schemas/ServiceStatus"
                                },
                            },
                        },
                    },
                    "meta": {"type": "object"},
                    "errors": {"type": "array", "items": {"type": "object"}},
                },
            },
        }
    },
}


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
        routes=[Route("/health", health), Route("/openapi.json", openapi)],
        middleware=security_middleware(runtime.settings),
    )
