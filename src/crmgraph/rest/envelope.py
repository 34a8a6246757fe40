"""The common REST response envelope of the API design: success, data, meta, errors."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request

API_VERSION = "1.0"


def envelope(
    request: Request,
    data: Any,
    *,
    success: bool = True,
    errors: list[dict[str, object]] | None = None,
) -> dict[str, Any]:
    request_id = request.headers.get("x-request-id") or f"req_{uuid.uuid4().hex[:16]}"
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
