"""The one check of every answer the fuzzers get: never a server error, and every refusal in
the documented error format (README, "The API today" and "Security"; router-config/README.md).

- GraphQL (router and subgraphs): a JSON object whose `errors` each carry a string `message`
  and `extensions.code`, one of the documented codes, never `INTERNAL_SERVER_ERROR`.
- REST shim: the envelope `{success: false, data: null, meta: {timestamp, version,
  requestId}, errors: [{code, message, ...}]}` with an `X-Request-ID` header equal to
  `meta.requestId`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from crmgraph.errors import ErrorCode

#: Codes a client may see: ours (crmgraph.errors; REST says UNAUTHORIZED), graphql-js's for a
#: document that does not parse or validate, and the router's (router-config/README.md).
DOCUMENTED_CODES = frozenset(
    {code.value for code in ErrorCode if code is not ErrorCode.INTERNAL_SERVER_ERROR}
    | {"UNAUTHORIZED", "GRAPHQL_PARSE_FAILED", "GRAPHQL_VALIDATION_FAILED", "BAD_USER_INPUT"}
    | {"OPERATION_RESOLUTION_FAILURE"}
    | {"MAX_TOKENS_EXCEEDED", "MAX_DEPTH_EXCEEDED", "MAX_ALIASES_EXCEEDED"}
    | {"COST_ESTIMATED_TOO_EXPENSIVE", "INVALID_CONTENT_TYPE_HEADER", "CSRF_ERROR"}
)


def check_answer(
    status: int, headers: Mapping[str, str], body: bytes, *, rest: bool = False, what: str = ""
) -> Any:
    """Raises AssertionError unless the answer is a documented one; returns the parsed body
    (None for an empty one). `headers` with lower-case names."""
    label = f"{what}: {status} {body[:500]!r}"
    assert status < 500, f"server error {label}"
    if status < 400 and (rest or not body):
        return None  # REST success bodies are the document's to check (CSV, HTML, JSON)
    assert body, f"a refusal without a body {label}"
    try:
        parsed = json.loads(body)
    except ValueError as exc:
        raise AssertionError(f"not JSON {label}") from exc
    if rest:
        _check_envelope(parsed, headers, status, label)
    else:
        _check_graphql(parsed, status, label)
    return parsed


def _check_graphql(parsed: Any, status: int, label: str) -> None:
    assert isinstance(parsed, dict), f"not a JSON object {label}"
    errors = parsed.get("errors")
    if status >= 400:
        assert errors, f"a refusal without errors {label}"
    if errors is None:
        assert "data" in parsed, f"neither data nor errors {label}"
        return
    assert isinstance(errors, list) and errors, f"errors not a non-empty list {label}"
    for error in errors:
        assert isinstance(error, dict), f"an error not an object {label}"
        assert isinstance(error.get("message"), str) and error["message"], f"no message {label}"
        code = (error.get("extensions") or {}).get("code")
        assert code in DOCUMENTED_CODES, f"undocumented code {code!r} {label}"


def _check_envelope(parsed: Any, headers: Mapping[str, str], status: int, label: str) -> None:
    assert isinstance(parsed, dict), f"not a JSON object {label}"
    if status < 400:
        return
    assert parsed.get("success") is False and parsed.get("data") is None, f"envelope {label}"
    meta = parsed.get("meta") or {}
    assert {"timestamp", "version", "requestId"} <= set(meta), f"meta {label}"
    assert headers.get("x-request-id") == meta["requestId"], f"X-Request-ID {label}"
    errors = parsed.get("errors")
    assert isinstance(errors, list) and errors, f"errors {label}"
    for error in errors:
        assert isinstance(error.get("message"), str), f"no message {label}"
        assert error.get("code") in DOCUMENTED_CODES, f"undocumented code {label}"
