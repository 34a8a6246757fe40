"""Zoho records for the mapper's tests, read from tests/data/zoho/records (shaped after
Zoho's documented records; see the README there)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from crmgraph.zoho.records import ZohoRecord

RECORDS = Path(__file__).parent / "data" / "zoho" / "records"


def record(name: str, *, later: float = 0, fields: dict[str, Any] | None = None,
           **given: Any) -> ZohoRecord:  # fmt: skip
    """The record of file name, `later` hours after its own event time, its fields updated
    with `fields`."""
    raw = json.loads((RECORDS / f"{name}.json").read_text())
    merged = {**raw["fields"], **(fields or {})}
    values = {
        "org_id": raw["org_id"],
        "module": raw["module"],
        "zoho_module": raw["zoho_module"],
        "operation": raw["operation"],
        "record_id": raw["record_id"],
        "event_time": datetime.fromisoformat(raw["event_time"]) + timedelta(hours=later),
        "fields": merged,
    }
    values.update(given)
    return ZohoRecord(**values)
