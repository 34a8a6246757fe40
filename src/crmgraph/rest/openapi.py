"""The REST shim's OpenAPI 3.1 document: hand-written paths, schemas from the pydantic models."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from crmgraph import __version__
from crmgraph.rest.payloads import ApiKeyCreate, ApiKeyCreated, TokenRequest, TokenResponse
from crmgraph.rest.webhook_payloads import (
    Webhook,
    WebhookCreate,
    WebhookCreated,
    WebhookDeleted,
    WebhookDeliveryAttempt,
)

READY: dict[str, Any] = {"type": "string", "enum": ["ok", "unavailable"]}


def _envelope(data: dict[str, Any]) -> dict[str, Any]:
    """The success envelope of the API design around `data`."""
    return {
        "type": "object",
        "required": ["success", "data", "meta", "errors"],
        "properties": {
            "success": {"type": "boolean"},
            "data": data,
            "meta": {"type": "object"},
            "errors": {"type": "array", "items": {"type": "object"}},
        },
    }


def _readiness(schema: str) -> dict[str, Any]:
    body = {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}}
    return {
        "200": {"description": "Every dependency answers", "content": body},
        "503": {"description": "At least one dependency does not answer", "content": body},
    }


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
                "summary": "Readiness, for anyone: does every dependency answer?",
                "responses": _readiness("Health"),
            }
        },
        "/health/details": {
            "get": {
                "summary": "Each dependency's status, address (password masked) and version; "
                "system admins only",
                "security": [{"bearer": []}],
                "responses": {
                    **_readiness("HealthDetails"),
                    "401": {"$ref": "#/components/responses/Error"},
                    "403": {"$ref": "#/components/responses/Error"},
                },
            }
        },
        "/metrics": {
            "get": {
                "summary": "Outbox consumers' lag and dead letters as Prometheus text "
                "(crmgraph_consumer_*); system admins only",
                "security": [{"bearer": []}],
                "responses": {
                    "200": {"description": "Prometheus text format 0.0.4"},
                    "401": {"$ref": "#/components/responses/Error"},
                    "403": {"$ref": "#/components/responses/Error"},
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
            "ConsumerLag": {
                "type": "object",
                "required": ["pending", "oldest_pending_seconds", "dead"],
                "properties": {
                    "pending": {"type": "integer"},
                    "oldest_pending_seconds": {"type": "number"},
                    "dead": {"type": "integer"},
                },
            },
            "Health": _envelope(
                {
                    "type": "object",
                    "required": ["status"],
                    "additionalProperties": False,
                    "properties": {"status": READY},
                }
            ),
            "HealthDetails": _envelope(
                {
                    "type": "object",
                    "required": ["status", "mode", "services", "consumers"],
                    "properties": {
                        "status": READY,
                        "mode": {"type": "string", "enum": ["embedded", "full"]},
                        "services": {
                            "type": "object",
                            "additionalProperties": {"$ref": "#/components/schemas/ServiceStatus"},
                        },
                        "consumers": {
                            "type": "object",
                            "additionalProperties": {"$ref": "#/components/schemas/ConsumerLag"},
                        },
                    },
                }
            ),
        }
    },
}

ERROR = {
    "description": "The error envelope",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorEnvelope"}}},
}
BEARER: list[dict[str, list[str]]] = [{"bearer": []}]


def _json(model: type[BaseModel]) -> dict[str, Any]:
    return {"application/json": {"schema": {"$ref": f"#/components/schemas/{model.__name__}"}}}


OPENAPI["paths"].update(
    {
        "/api-keys": {
            "post": {
                "summary": "Create an API key (tenant admins); the secret is shown only here",
                "security": BEARER,
                "requestBody": {"required": True, "content": _json(ApiKeyCreate)},
                "responses": {
                    "201": {"description": "Created", "content": _json(ApiKeyCreated)},
                    "400": ERROR, "401": ERROR, "403": ERROR, "413": ERROR,
                },
            }
        },
        "/api-keys/{key_id}": {
            "delete": {
                "summary": "Revoke an API key",
                "security": BEARER,
                "parameters": [{"name": "key_id", "in": "path", "required": True,
                                "schema": {"type": "string", "format": "uuid"}}],
                "responses": {"200": {"description": "Revoked"}, "400": ERROR, "401": ERROR,
                              "403": ERROR, "404": ERROR, "409": ERROR},
            }
        },
        "/oauth2/token": {
            "post": {
                "summary": "client_credentials: exchange an API key for a short-lived JWT",
                "requestBody": {
                    "required": True,
                    "content": {
                        **_json(TokenRequest),
                        "application/x-www-form-urlencoded": {
                            "schema": {"$ref": "#/components/schemas/TokenRequest"}
                        },
                    },
                },
                "responses": {
                    "200": {"description": "A bearer token", "content": _json(TokenResponse)},
                    "400": ERROR, "401": ERROR, "413": ERROR,
                },
            }
        },
    }
)  # fmt: skip
OPENAPI["components"]["securitySchemes"] = {"bearer": {"type": "http", "scheme": "bearer"}}
OPENAPI["components"]["responses"] = {"Error": ERROR}
for _model in (ApiKeyCreate, ApiKeyCreated, TokenRequest, TokenResponse):
    OPENAPI["components"]["schemas"][_model.__name__] = _model.model_json_schema(
        ref_template="#/components/schemas/{model}"
    )
OPENAPI["components"]["schemas"]["ErrorEnvelope"] = {
    "type": "object",
    "required": ["success", "data", "meta", "errors"],
    "properties": {
        "success": {"const": False},
        "data": {"type": "null"},
        "meta": {"type": "object"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["code", "message"],
                "properties": {
                    "code": {"type": "string"},
                    "message": {"type": "string"},
                    "field": {"type": "string"},
                    "details": {"type": "object"},
                },
            },
        },
    },
}

# Outbound webhooks (crmgraph.rest.webhooks).
_WEBHOOK_ID = [{"name": "webhook_id", "in": "path", "required": True,
                "schema": {"type": "string", "format": "uuid"}}]  # fmt: skip
_WEBHOOK_MODELS = (WebhookCreate, Webhook, WebhookCreated, WebhookDeliveryAttempt, WebhookDeleted)


def _enveloped(model: type[BaseModel], *, many: bool = False) -> dict[str, Any]:
    ref: dict[str, Any] = {"$ref": f"#/components/schemas/{model.__name__}"}
    schema = _envelope({"type": "array", "items": ref} if many else ref)
    return {"application/json": {"schema": schema}}


OPENAPI["paths"].update(
    {
        "/api/v1/webhooks": {
            "post": {
                "summary": "Register a webhook (webhooks:write); its secret is shown only here. "
                "Targets resolving to non-public addresses are refused (400).",
                "security": BEARER,
                "requestBody": {"required": True, "content": _json(WebhookCreate)},
                "responses": {
                    "201": {"description": "Registered", "content": _enveloped(WebhookCreated)},
                    "400": ERROR, "401": ERROR, "403": ERROR, "413": ERROR, "429": ERROR,
                },
            },
            "get": {
                "summary": "The tenant's webhooks, oldest first (webhooks:read)",
                "security": BEARER,
                "responses": {
                    "200": {"description": "Webhooks", "content": _enveloped(Webhook, many=True)},
                    "401": ERROR, "403": ERROR, "429": ERROR,
                },
            },
        },
        "/api/v1/webhooks/{webhook_id}": {
            "delete": {
                "summary": "Delete a webhook, its pending deliveries and its history",
                "security": BEARER,
                "parameters": _WEBHOOK_ID,
                "responses": {
                    "200": {"description": "Deleted", "content": _enveloped(WebhookDeleted)},
                    "400": ERROR, "401": ERROR, "403": ERROR, "404": ERROR, "429": ERROR,
                },
            }
        },
        "/api/v1/webhooks/{webhook_id}/deliveries": {
            "get": {
                "summary": "The webhook's latest 100 delivery attempts, newest first",
                "security": BEARER,
                "parameters": _WEBHOOK_ID,
                "responses": {
                    "200": {"description": "Attempts",
                            "content": _enveloped(WebhookDeliveryAttempt, many=True)},
                    "400": ERROR, "401": ERROR, "403": ERROR, "404": ERROR, "429": ERROR,
                },
            }
        },
        "/api/v1/webhooks/{webhook_id}/test": {
            "post": {
                "summary": "Send the webhook a signed ping event now; answers with the attempt",
                "security": BEARER,
                "parameters": _WEBHOOK_ID,
                "responses": {
                    "200": {"description": "The attempt (succeeded or failed)",
                            "content": _enveloped(WebhookDeliveryAttempt)},
                    "400": ERROR, "401": ERROR, "403": ERROR, "404": ERROR, "429": ERROR,
                },
            }
        },
    }
)  # fmt: skip
for _webhook_model in _WEBHOOK_MODELS:
    # Nested models (security, retry_config) come as $defs: each becomes a schema of its own.
    _schema = _webhook_model.model_json_schema(ref_template="#/components/schemas/{model}")
    OPENAPI["components"]["schemas"].update(_schema.pop("$defs", {}))
    OPENAPI["components"]["schemas"][_webhook_model.__name__] = _schema
