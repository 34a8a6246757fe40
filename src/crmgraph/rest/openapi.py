"""The REST shim's OpenAPI 3.1 document, generated from the routes' declarations
(crmgraph.rest.operations): paths from each Operation, schemas from its pydantic models, and
the answers every route can give (the body limit's 413, the rate limiter's 401 and 429, the
permission check's 401 and 403) added by the same rules the middleware applies."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel

from crmgraph import __version__
from crmgraph.rest.operations import Operation, Reply
from crmgraph.rest.rate_limit import UNCOUNTED

REF = "#/components/schemas/{model}"
ERROR = {"description": "The error envelope", "content": {
    "application/json": {"schema": {"$ref": "#/components/schemas/ErrorEnvelope"}}}}  # fmt: skip
RATE_LIMITED = {"description": "Over a rate limit (Retry-After says when to try again)",
                "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/RateLimited"}}}}  # fmt: skip
DESCRIPTIONS = {400: "Invalid input", 401: "Missing or invalid credentials",
                403: "Insufficient permissions", 404: "Not found", 409: "Conflict",
                413: "Request body too large",
                503: "SERVICE_UNAVAILABLE: PostgreSQL is down, or the server shut down before "
                     "the request finished (Retry-After says when to try again)"}  # fmt: skip
# What answers without PostgreSQL and at once: never a 503 of its own.
ALWAYS_AVAILABLE = frozenset({"/livez", "/openapi.json", "/docs"})
META = {
    "type": "object",
    "required": ["timestamp", "version", "requestId"],
    "properties": {
        "timestamp": {"type": "string", "format": "date-time"},
        "version": {"type": "string"},
        "requestId": {"type": "string"},
    },
}
ERROR_ENVELOPE = {
    "type": "object",
    "required": ["success", "data", "meta", "errors"],
    "properties": {
        "success": {"const": False},
        "data": {"type": "null"},
        "meta": {"$ref": "#/components/schemas/Meta"},
        "errors": {
            "type": "array",
            "minItems": 1,
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
RATE_LIMITED_BODY = {
    "type": "object",
    "required": ["success", "error", "errors"],
    "properties": {
        "success": {"const": False},
        "error": {"type": "object", "required": ["code", "message", "details"]},
        "errors": {"type": "array", "items": {"type": "object"}},
    },
}
REQUEST_ID_HEADER = {
    "description": "The request's id: the client's X-Request-ID when it is 1 to 128 letters, "
    "digits or `._:-`, else a new one; also the envelope's meta.requestId",
    "required": True,
    "schema": {"type": "string", "maxLength": 128},
}


def _schema_of(model: type[BaseModel], mode: str, schemas: dict[str, Any]) -> dict[str, Any]:
    """A $ref to model, its schema (and those it uses) added to schemas."""
    schema = model.model_json_schema(ref_template=REF, mode=mode)  # type: ignore[arg-type]
    schemas.update(schema.pop("$defs", {}))
    schemas[model.__name__] = schema
    return {"$ref": REF.format(model=model.__name__)}


def _reply(reply: Reply, schemas: dict[str, Any]) -> dict[str, Any]:
    data: dict[str, Any] = dict(reply.schema or {})
    if reply.model is not None:
        data = _schema_of(reply.model, "serialization", schemas)
    answer: dict[str, Any] = {"description": reply.description, "headers": {
        "X-Request-ID": {"$ref": "#/components/headers/RequestId"}}}  # fmt: skip
    if reply.enveloped:
        data = {
            "type": "object",
            "required": ["success", "data", "meta", "errors"],
            "properties": {
                "success": {"type": "boolean"},
                "data": data,
                "meta": {"$ref": "#/components/schemas/Meta"},
                "errors": {"type": "array", "maxItems": 0},
            },
        }
    answer["content"] = {reply.media_type: {"schema": data}}
    answer["content"].update(
        {media: {"schema": dict(schema)} for media, schema in reply.also.items()}
    )
    if reply.links:
        answer["links"] = dict(reply.links)
    return answer


def error_statuses(op: Operation) -> list[int]:
    """Every error status op can answer: its own, and those the middleware adds."""
    statuses = {413, *op.errors}
    if op.path not in UNCOUNTED:
        statuses |= {401, 429}
    if op.needs is not None or op.router_only:
        statuses.add(401)
    if op.permissions:
        statuses.add(403)
    if op.body is not None:
        statuses.add(400)
    if op.path not in ALWAYS_AVAILABLE:
        statuses.add(503)
    return sorted(statuses)


def _description(op: Operation, status: int) -> str:
    if status == 429 and op.rate_limit is not None:
        own = op.rate_limit
        return (
            f"Over a rate limit: the caller's tier, or this operation's own limit of "
            f"{own.limit} per {own.window} per tenant (Retry-After says when to try again)"
        )
    return DESCRIPTIONS.get(status, "Error")


def _all(permissions: tuple[str, ...]) -> str:
    """`a`, `b` and `c`."""
    quoted = [f"`{p}`" for p in permissions]
    return quoted[0] if len(quoted) == 1 else f"{', '.join(quoted[:-1])} and {quoted[-1]}"


def _operation(op: Operation, schemas: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"operationId": op.name, "summary": op.summary}
    if op.description or op.permissions:
        needs = f"Needs {_all(op.permissions)}." if op.permissions else ""
        out["description"] = " ".join(part for part in (op.description, needs) if part)
    if op.permissions:
        out["security"] = [{"bearer": []}]
        out["x-required-permissions"] = list(op.permissions)
    elif op.router_only:
        out["security"] = [{"routerSecret": []}]
    else:
        out["security"] = []
    if op.signer is not None:  # no scheme OpenAPI knows: a signature, token or JWT per format
        out["x-authenticated-by"] = op.signer
    if op.params:
        out["parameters"] = [
            {"name": p.name, "in": p.where, "required": p.required, "schema": dict(p.schema),
             **({"description": p.description} if p.description else {})}
            for p in op.params
        ]  # fmt: skip
    if op.body is not None:
        ref = _schema_of(op.body, "validation", schemas)
        out["requestBody"] = {
            "required": True,
            "content": {media: {"schema": ref} for media in op.body_media},
        }
    responses: dict[str, Any] = {str(s): _reply(r, schemas) for s, r in op.replies.items()}
    for status in error_statuses(op):
        if str(status) not in responses:
            answer = RATE_LIMITED if status == 429 else ERROR
            responses[str(status)] = {**answer, "description": _description(op, status),
                                      "headers": {"X-Request-ID": {
                                          "$ref": "#/components/headers/RequestId"}}}  # fmt: skip
    out["responses"] = responses
    if op.rate_limit is not None:
        out["x-rate-limit"] = {"limit": op.rate_limit.limit, "per": "tenant",
                               "window_seconds": op.rate_limit.window_seconds}  # fmt: skip
    return {**out, **op.extra}


def openapi_document(operations: Iterable[Operation]) -> dict[str, Any]:
    """The OpenAPI 3.1 document of operations."""
    schemas: dict[str, Any] = {
        "Meta": META,
        "ErrorEnvelope": ERROR_ENVELOPE,
        "RateLimited": RATE_LIMITED_BODY,
    }
    paths: dict[str, dict[str, Any]] = {}
    names: set[str] = set()
    for op in operations:
        item = paths.setdefault(op.path, {})
        if op.method.lower() in item or op.name in names:
            raise ValueError(f"{op.key} ({op.name}) is declared twice")
        names.add(op.name)
        item[op.method.lower()] = _operation(op, schemas)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "crmgraph REST shim",
            "version": __version__,
            "description": "Health, metrics, API keys, tokens and feeds beside the federated "
            "GraphQL API at :4000/graphql. Every response carries X-Request-ID.",
        },
        "paths": paths,
        "components": {
            "schemas": schemas,
            "headers": {"RequestId": REQUEST_ID_HEADER},
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "routerSecret": {"type": "apiKey", "in": "header", "name": "x-router-secret"},
            },
        },
    }


def documented_routes(document: dict[str, Any]) -> set[str]:
    """`METHOD /path` of every operation in document."""
    return {f"{m.upper()} {path}" for path, item in document["paths"].items() for m in item}
