"""REST error mapping: DomainError and bad input to the design's error envelope and status."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import TypeVar

from pydantic import BaseModel, ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.types import Scope

from crmgraph.db.errors import is_unstorable_value, is_write_conflict
from crmgraph.errors import (
    CONCURRENT_WRITE,
    HTTP_STATUS,
    RETRY_AFTER_SECONDS,
    UNSTORABLE,
    DomainError,
    ErrorCode,
)
from crmgraph.rest.envelope import envelope

M = TypeVar("M", bound=BaseModel)

# The design's REST bodies say UNAUTHORIZED where GraphQL says UNAUTHENTICATED.
REST_CODES = {ErrorCode.UNAUTHENTICATED: "UNAUTHORIZED"}
# Zoho webhook deliveries (crmgraph.rest.zoho_webhooks): every answer, a 413 or 429 from the
# middleware included, carries the correlation id and 000's `error` object.
ZOHO_WEBHOOKS = "/webhooks/zoho/"


def error_body(error: DomainError) -> dict[str, object]:
    """One entry of the envelope's `errors`, as REST names its code."""
    return {**error.as_dict(), "code": REST_CODES.get(error.code, error.code.value)}


def correlation_id(request: Request) -> str:
    """A Zoho webhook delivery's correlation id: the sender's X-Correlation-ID, else a new
    one, kept in the request's state so that every answer to the request names the same."""
    found = getattr(request.state, "correlation_id", None)
    if not isinstance(found, str):
        found = request.headers.get("x-correlation-id") or f"corr_{uuid.uuid4().hex}"
        request.state.correlation_id = found
    return found


def error_response(request: Request, error: DomainError) -> JSONResponse:
    body = error_body(error)
    if request.url.path.startswith(ZOHO_WEBHOOKS):
        return _zoho_error(request, error)
    headers = {"WWW-Authenticate": "Bearer"} if error.code is ErrorCode.UNAUTHENTICATED else None
    if error.code is ErrorCode.SERVICE_UNAVAILABLE:
        headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
    return JSONResponse(
        envelope(request, None, success=False, errors=[body]),
        status_code=HTTP_STATUS[error.code],
        headers=headers,
    )


def scope_error(scope: Scope, error: DomainError) -> JSONResponse:
    """error_response for a request known only by its ASGI scope (crmgraph.lifecycle.CutShort)."""
    return error_response(Request(scope), error)


def _zoho_error(request: Request, error: DomainError) -> JSONResponse:
    """The usual error envelope plus 000's `error` object, which carries the correlation id."""
    body = envelope(request, None, success=False, errors=[error_body(error)])
    correlation = correlation_id(request)
    body["error"] = {
        "code": error_body(error)["code"],
        "message": error.message,
        "details": error.details or ({"field": error.field} if error.field else None),
        "correlation_id": correlation,
        "timestamp": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
        "request_id": body["meta"]["requestId"],
    }
    headers = {"X-Correlation-ID": correlation}
    if error.code is ErrorCode.SERVICE_UNAVAILABLE:
        headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return JSONResponse(body, status_code=HTTP_STATUS[error.code], headers=headers)


async def domain_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError)
    return error_response(request, exc)


async def data_error(request: Request, exc: Exception) -> JSONResponse:
    """The database refused a value the client sent: a 400, not a 500; it rolled the write
    back for a concurrent write of the same rows: a 409, as GraphQL answers; other database
    failures stay server errors (an unreachable database: crmgraph.rest.observe's 503)."""
    if is_write_conflict(exc):
        return error_response(request, DomainError(ErrorCode.CONFLICT, CONCURRENT_WRITE))
    if not is_unstorable_value(exc):
        raise exc
    return error_response(request, DomainError(ErrorCode.VALIDATION_ERROR, UNSTORABLE))


async def parsed_body(request: Request, model: type[M]) -> M:
    """The request's JSON body as model, or VALIDATION_ERROR naming the first bad field. Strict:
    a JSON value of the wrong type (false for a number, 1 for a string) is refused, not
    converted, so a body means exactly what the OpenAPI document says it may."""
    try:
        return model.model_validate_json(await request.body(), strict=True)
    except (ValidationError, json.JSONDecodeError) as exc:
        raise invalid_body(exc) from exc


def invalid_body(exc: ValidationError | json.JSONDecodeError) -> DomainError:
    if isinstance(exc, json.JSONDecodeError):
        return DomainError(ErrorCode.VALIDATION_ERROR, "the body is not valid JSON")
    first = exc.errors()[0]
    field = ".".join(str(part) for part in first["loc"]) or None
    return DomainError(ErrorCode.VALIDATION_ERROR, first["msg"], field=field)
