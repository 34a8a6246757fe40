"""Error mapping for GraphQL: DomainError to extensions {code, field}; anything else masked."""

from __future__ import annotations

import logging
from collections.abc import Iterator

from graphql import GraphQLError
from starlette.responses import JSONResponse
from starlette.types import Scope
from strawberry.extensions import SchemaExtension
from strawberry.types import StreamExecutionResult
from strawberry.types.execution import PreExecutionError

from crmgraph.db.errors import is_unreachable, is_unstorable_value
from crmgraph.errors import (
    HTTP_STATUS,
    RETRY_AFTER_SECONDS,
    UNSTORABLE,
    DomainError,
    ErrorCode,
    dependency_down,
)

log = logging.getLogger("crmgraph.gql")


def map_error(error: GraphQLError, *, debug: bool = False) -> GraphQLError:
    original = error.original_error
    extensions: dict[str, object]
    if original is None or isinstance(original, GraphQLError):
        # Syntax and validation errors: already client-facing.
        extensions = {"code": "GRAPHQL_VALIDATION_FAILED", **(error.extensions or {})}
        return _with(error, error.message, extensions)
    if is_unreachable(original):
        # The database does not answer: SERVICE_UNAVAILABLE with retryAfter, not a 500.
        original = dependency_down("PostgreSQL")
    if isinstance(original, DomainError):
        extensions = {"code": original.code.value}
        if original.field is not None:
            extensions["field"] = original.field
        extensions.update(original.details)
        return _with(error, original.message, extensions)
    if is_unstorable_value(original):
        # The database refused a value (a NUL character, a number out of range): bad input.
        return _with(error, UNSTORABLE, {"code": ErrorCode.VALIDATION_ERROR.value})
    message = error.message if debug else "Internal server error"
    return _with(error, message, {"code": ErrorCode.INTERNAL_SERVER_ERROR.value})


def refusal(error: DomainError) -> dict[str, object]:
    """The whole body of a request refused before any operation runs (by the router's secret,
    or because it is no GraphQL request), in the GraphQL error format."""
    extensions = {"code": error.code.value, **error.details}
    return {"errors": [{"message": error.message, "extensions": extensions}]}


def http_answer(_: Scope, error: DomainError) -> JSONResponse:
    """A subgraph's answer when no operation ran (crmgraph.lifecycle.CutShort): one error
    with its code and details in extensions, the code's HTTP status, Retry-After on a 503."""
    headers = None
    if error.code is ErrorCode.SERVICE_UNAVAILABLE:
        headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
    return JSONResponse(
        refusal(error),
        status_code=HTTP_STATUS[error.code],
        headers=headers,
    )


def is_unexpected(error: GraphQLError) -> bool:
    original = error.original_error
    if original is None or isinstance(original, DomainError | GraphQLError):
        return False
    return not (is_unstorable_value(original) or is_unreachable(original))


def _with(error: GraphQLError, message: str, extensions: dict[str, object]) -> GraphQLError:
    # No `locations`: a subgraph answers the router's query, which the client never saw, so
    # they would point into the wrong document (Hive Gateway dropped them, Hive Router does
    # not). The client's own document errors come from the router, with their locations.
    return GraphQLError(
        message,
        path=error.path,
        original_error=None,
        extensions=extensions,
    )


class DomainErrors(SchemaExtension):
    """Rewrites the errors of every operation once it has run (pre-execution ones included),
    and of each subscription result as it is sent."""

    debug = False
    _streamed = False

    def on_operation(self) -> Iterator[None]:
        yield
        # graphql-core's or Strawberry's ExecutionResult: both have a settable .errors.
        result = self.execution_context.result
        errors = getattr(result, "errors", None)
        if errors and not self._streamed:
            result.errors = [map_error(e, debug=self.debug) for e in errors]  # type: ignore[union-attr]
        pre = self.execution_context.pre_execution_errors
        if pre:
            self.execution_context.pre_execution_errors = [map_error(e) for e in pre]

    def on_stream_result(self, result: StreamExecutionResult) -> Iterator[None]:
        # A subscription's results are sent one by one, before on_operation's end: rewrite
        # each event's errors (a credential revoked mid-stream, a failing field) as it goes.
        # Pre-execution errors are left to crmgraph.gql.app, which needs their originals.
        errors = getattr(result, "errors", None)
        if errors and not isinstance(result, PreExecutionError):
            self._streamed = True
            result.errors = [map_error(e, debug=self.debug) for e in errors]  # type: ignore[union-attr]
        yield
