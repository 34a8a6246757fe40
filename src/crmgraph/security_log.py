"""Security events (authentication failures, denials, rate limits, bad API keys) as one JSON
log line each, on the `crmgraph.security` logger, carrying the request id."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

log = logging.getLogger("crmgraph.security")


def security_event(event: str, **fields: object) -> None:
    record = {"event": event, "at": datetime.now(UTC).isoformat(), **fields}
    log.warning(json.dumps(record, default=str, sort_keys=True))
