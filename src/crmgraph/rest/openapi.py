"""The REST shim's OpenAPI 3.1 document: hand-written paths, schemas from the pydantic models."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from crmgraph import __version__
from crmgraph.domain import bounds, deal_export
from crmgraph.rest.bulk_payloads import ContactImport, ContactImportResult, DealExport
from crmgraph.rest.payloads import ApiKeyCreate, ApiKeyCreated, TokenRequest, TokenResponse

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

# Bulk (issue 13 item 9): one block, so the generated document can replace it whole.
_IMPORT_DOC = (
    f"Contacts from another system, at most {bounds.IMPORT_ROWS} rows; field_mapping maps our "
    "field to the rows' column. One result per row: a row that fails is reported and stores "
    "nothing, the others are stored (contacts:write for the whole tenant)."
)
_EXPORT_DOC = (
    "The tenant's deals matching filters, oldest first, streamed a page at a time as CSV or "
    "JSON (export_format, else Accept; CSV by default). fields from: "
    + ", ".join(deal_export.FIELDS) + "; unknown fields are a 400 (deals:read)."
)  # fmt: skip
OPENAPI["paths"].update(
    {
        "/api/v1/bulk/contacts/import": {
            "post": {
                "summary": "Import contacts in a batch",
                "description": _IMPORT_DOC,
                "security": BEARER,
                "requestBody": {"required": True, "content": _json(ContactImport)},
                "responses": {
                    "200": {"description": "Every row's result",
                            "content": {"application/json": {"schema": _envelope(
                                {"$ref": "#/components/schemas/ContactImportResult"})}}},
                    "400": ERROR, "401": ERROR, "403": ERROR, "413": ERROR,
                },
            }
        },
        "/api/v1/bulk/deals/export": {
            "post": {
                "summary": "Export deals as CSV or JSON, streamed",
                "description": _EXPORT_DOC,
                "security": BEARER,
                "requestBody": {"required": True, "content": _json(DealExport)},
                "responses": {
                    "200": {"description": "The deals, one CSV line or JSON object each",
                            "content": {"text/csv": {"schema": {"type": "string"}},
                                        "application/json": {"schema": _envelope(
                                            {"type": "array", "items": {"type": "object"}})}}},
                    "400": ERROR, "401": ERROR, "403": ERROR, "413": ERROR,
                },
            }
        },
    }
)  # fmt: skip
for _bulk_model in (ContactImport, ContactImportResult, DealExport):
    _schema = _bulk_model.model_json_schema(ref_template="#/components/schemas/{model}")
    OPENAPI["components"]["schemas"].update(_schema.pop("$defs", {}))
    OPENAPI["components"]["schemas"][_bulk_model.__name__] = _schema
