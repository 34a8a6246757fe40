"""Error codes and the one exception domain code raises; mapped for GraphQL and REST elsewhere."""

from __future__ import annotations

from enum import StrEnum


class ErrorCode(StrEnum):
    VALIDATION_ERROR = "VALIDATION_ERROR"
    UNAUTHENTICATED = "UNAUTHENTICATED"
    FORBIDDEN = "FORBIDDEN"
    NOT_FOUND = "NOT_FOUND"
    CONFLICT = "CONFLICT"
    RATE_LIMIT_EXCEEDED = "RATE_LIMIT_EXCEEDED"
    REQUEST_ENTITY_TOO_LARGE = "REQUEST_ENTITY_TOO_LARGE"
    INTEGRATION_ERROR = "INTEGRATION_ERROR"
    INTERNAL_SERVER_ERROR = "INTERNAL_SERVER_ERROR"
    # A request that is no GraphQL request at all (not a JSON object, another content type):
    # the router's code for the same refusal.
    BAD_REQUEST = "BAD_REQUEST"
    SERVICE_UNAVAILABLE = "SERVICE_UNAVAILABLE"


HTTP_STATUS: dict[ErrorCode, int] = {
    ErrorCode.VALIDATION_ERROR: 400,
    ErrorCode.UNAUTHENTICATED: 401,
    ErrorCode.FORBIDDEN: 403,
    ErrorCode.NOT_FOUND: 404,
    ErrorCode.CONFLICT: 409,
    ErrorCode.RATE_LIMIT_EXCEEDED: 429,
    ErrorCode.REQUEST_ENTITY_TOO_LARGE: 413,
    ErrorCode.INTEGRATION_ERROR: 502,
    ErrorCode.INTERNAL_SERVER_ERROR: 500,
    ErrorCode.BAD_REQUEST: 400,
    ErrorCode.SERVICE_UNAVAILABLE: 503,
}

# What a SERVICE_UNAVAILABLE answer tells the client to wait before trying again (REST's
# Retry-After header, GraphQL's extensions.retryAfter): about how long a restarted
# PostgreSQL or Redis takes to answer again.
RETRY_AFTER_SECONDS = 5


UNSTORABLE = "the input holds a value that cannot be stored (for example a NUL character)"
CONCURRENT_WRITE = "a concurrent change of the same data came first; nothing changed, try again"


class DomainError(Exception):
    """A failure the caller can act on: it carries a code and, for input errors, the field."""

    def __init__(
        self,
        code: ErrorCode,
        message: str,
        *,
        field: str | None = None,
        details: dict[str, object] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field
        self.details = details or {}

    def as_dict(self) -> dict[str, object]:
        out: dict[str, object] = {"code": self.code.value, "message": self.message}
        if self.field is not None:
            out["field"] = self.field
        if self.details:
            out["details"] = self.details
        return out


def dependency_down(service: str) -> DomainError:
    """The answer to a request that needs a backing service (PostgreSQL, Redis) which does
    not answer: SERVICE_UNAVAILABLE with retryAfter, at once rather than a hang. Reads that
    do not need the service go on."""
    return DomainError(
        ErrorCode.SERVICE_UNAVAILABLE,
        f"{service} is unavailable; try again in {RETRY_AFTER_SECONDS} s",
        details={"retryAfter": RETRY_AFTER_SECONDS},
    )


class ServiceUnavailable(Exception):
    """A backing service (PostgreSQL, Redis, Neo4j) cannot be reached or is misconfigured;
    `down` when nothing answered at all (an outage that passes), not when it refused us (a
    wrong password, a wrong database: configuration)."""

    def __init__(self, service: str, url: str, reason: str, *, down: bool = False) -> None:
        super().__init__(f"{service} unreachable at {url}: {reason}")
        self.service = service
        self.url = url
        self.reason = reason
        self.down = down


class TransientFailure(Exception):
    """Something a consumer called failed in a way that passes (a timeout, a 5xx, a rate
    limit): that event is retried with the consumer's backoff and never becomes a dead
    letter, while its other events go on (unlike ServiceUnavailable, which pauses them)."""


class ConfigurationError(Exception):
    """A setting a command needs is missing or unusable; the CLI prints it and exits with 2."""
