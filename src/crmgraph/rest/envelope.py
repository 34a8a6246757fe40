"""The common REST response envelope of the API design: success, data, meta, errors."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request

from crmgraph.rest.request_id import request_id_of

API_VERSION = "1.0"


def envelope(
    request: Request,
    data: Any,
    *,
    success: bool = True,
    errors: list[dict[str, object]] | None = None,
) -> dict[str, Any]:
    request_id = request_id_of(request.scope)
    return {
        "success": success,
        "data": data,
        "meta": {
            "timestamp": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
            "version": API_VERSION,
            "requestId": request_id,
        },
        "errors": errors or [],
    }
