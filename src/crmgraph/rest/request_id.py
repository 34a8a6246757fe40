"""X-Request-ID: the id each REST request is known by in its response, its log line and the
envelope's `meta.requestId`.

A client's own id is echoed when it is sane: 1 to 128 characters of letters, digits and
`._:-` (UUIDs, hex trace ids, `req_...`). Anything else (too long, spaces, control
characters, another header's injection) is not echoed; the request gets a new `req_<16 hex>`
id instead, so a log line never carries what a client typed verbatim. The REST shim's
outermost middleware (crmgraph.rest.observe) decides once and stores the id in the ASGI scope;
everything after it reads it with request_id_of().
"""

from __future__ import annotations

import re
import uuid

from starlette.types import Scope

HEADER = "X-Request-ID"
MAX_LENGTH = 128
_SANE = re.compile(rf"[A-Za-z0-9._:\-]{{1,{MAX_LENGTH}}}")
_SCOPE_KEY = "crmgraph.request_id"


def new_request_id() -> str:
    return f"req_{uuid.uuid4().hex[:16]}"


def sane(value: str | None) -> str | None:
    """value when it may be echoed as a request id, else None."""
    if value is None or not _SANE.fullmatch(value):
        return None
    return value


def assign(scope: Scope) -> str:
    """Decide the request's id (the client's when sane, else a new one) and keep it in scope."""
    given = next((v for k, v in scope.get("headers", ()) if k == b"x-request-id"), None)
    request_id = sane(given.decode("latin-1") if given is not None else None) or new_request_id()
    scope[_SCOPE_KEY] = request_id
    return request_id


def request_id_of(scope: Scope) -> str:
    """The id assign() gave this request (assigning one if nothing has yet)."""
    found = scope.get(_SCOPE_KEY)
    return found if isinstance(found, str) else assign(scope)
