"""POST /api/v1/bulk/contacts/import and POST /api/v1/bulk/deals/export (the API design's
"Bulk Operations"): the import answers one result per row (001's bulk response inside the
usual envelope); the export streams CSV or JSON a page at a time."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any, TypeVar
from uuid import UUID

from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import JSONResponse, StreamingResponse

from crmgraph.auth.route_needs import ROUTES
from crmgraph.domain import contact_import, deal_export
from crmgraph.rest.auth import scope_of
from crmgraph.rest.bulk_payloads import (
    ContactImport,
    ContactImportResult,
    DealExport,
    ImportRowError,
    ImportRowResult,
)
from crmgraph.rest.envelope import envelope
from crmgraph.rest.errors import parsed_body
from crmgraph.rest.operations import Operation, Reply
from crmgraph.rest.rate_limit_config import RouteLimit
from crmgraph.runtime import Runtime

IMPORT = "/api/v1/bulk/contacts/import"
EXPORT = "/api/v1/bulk/deals/export"
CSV_TYPE = "text/csv; charset=utf-8"
# Per tenant, on top of the caller's tier: 001's "10 bulk operations per hour" for imports,
# 004's "/export/*: 10/minute" for exports.
IMPORT_LIMIT = RouteLimit(10, 3600)
EXPORT_LIMIT = RouteLimit(10, 60)
M = TypeVar("M", bound=BaseModel)


def bulk_operations(runtime: Runtime) -> list[Operation]:
    async def import_contacts(request: Request) -> JSONResponse:
        scope = await scope_of(request, runtime, needs=ROUTES[f"POST {IMPORT}"])
        body = await parsed_body(request, ContactImport)
        async with runtime.sessions() as session, session.begin():
            results = await contact_import.import_contacts(
                session, scope=scope, rows=body.contacts, field_mapping=body.field_mapping,
                options=body.import_options.to_domain(),
            )  # fmt: skip
        runtime.wake_consumers()  # its outbox rows are committed now
        return JSONResponse(envelope(request, summary(results).model_dump(mode="json")))

    async def export_deals(request: Request) -> StreamingResponse:
        scope = await scope_of(request, runtime, needs=ROUTES[f"POST {EXPORT}"])
        body = await parsed_body(request, DealExport)
        fields = deal_export.checked_fields(body.fields)
        spec = body.filters.to_filter()
        pages = deal_export.export_deals(
            runtime.read_sessions, scope=scope, spec=spec, fields=fields
        )
        fmt = body.export_format or ("json" if _wants_json(request) else "csv")
        if fmt == "csv":
            return StreamingResponse(
                csv_stream(fields, pages), media_type=CSV_TYPE,
                headers={"Content-Disposition": 'attachment; filename="deals.csv"'},
            )  # fmt: skip
        meta = envelope(request, None)["meta"]
        return StreamingResponse(json_stream(fields, pages, meta), media_type="application/json")

    # JSON export: the success envelope around a list of objects, one per deal.
    rows = {
        "type": "object",
        "required": ["success", "data", "meta", "errors"],
        "properties": {
            "success": {"const": True},
            "data": {"type": "array", "items": {"type": "object"}},
            "meta": {"type": "object"},
            "errors": {"type": "array"},
        },
    }
    exported = Reply(
        "The deals, streamed page by page: CSV (a header line, then a line per "
        "deal) or, with export_format json or Accept: application/json, JSON",
        schema={"type": "string"},
        media_type=CSV_TYPE,
        enveloped=False,
        also={"application/json": rows},
    )
    return [
        Operation("POST", IMPORT, import_contacts, name="importContacts", body=ContactImport,
                  summary="Import contacts: per-row results, one transaction",
                  replies={200: Reply("Per-row results", ContactImportResult)}, errors=(409,),
                  rate_limit=IMPORT_LIMIT),
        Operation("POST", EXPORT, export_deals, name="exportDeals", body=DealExport,
                  summary="Export the tenant's deals, filtered, as CSV or JSON",
                  replies={200: exported}, rate_limit=EXPORT_LIMIT),
    ]  # fmt: skip


def summary(results: Sequence[contact_import.RowResult]) -> ContactImportResult:
    counts = {s: sum(r.status == s for r in results) for s in ("created", "updated", "skipped")}
    return ContactImportResult(
        total_processed=len(results),
        successful=counts["created"] + counts["updated"],
        failed=sum(r.status == "failed" for r in results),
        results=[_row_result(r) for r in results],
        errors=[_row_error(r.index, e) for r in results for e in r.errors],
        **counts,
    )


def _row_result(r: contact_import.RowResult) -> ImportRowResult:
    contact_id = None if r.contact_id is None else str(r.contact_id)
    return ImportRowResult(index=r.index, status=r.status, success=r.status != "failed",
                           contact_id=contact_id, errors=list(r.errors))  # fmt: skip


def _row_error(index: int, error: dict[str, object]) -> ImportRowError:
    field = error.get("field")
    return ImportRowError(index=index, error=str(error["message"]), code=str(error["code"]),
                          field=None if field is None else str(field))  # fmt: skip


def _wants_json(request: Request) -> bool:
    """Without export_format, Accept decides: JSON only when it asks for JSON and not CSV."""
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/csv" not in accept


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


async def csv_stream(
    fields: Sequence[str], pages: AsyncIterator[list[tuple[Any, ...]]]
) -> AsyncIterator[bytes]:
    """A header line, then one line per deal, one chunk per page."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(fields)
    yield buffer.getvalue().encode()
    async for page in pages:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerows([_text(v) for v in row] for row in page)
        yield buffer.getvalue().encode()


def _json_value(value: Any) -> str:
    """Money stays exact (a JSON number from the decimal's text); times ISO 8601."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | UUID):
        return json.dumps(_text(value))
    return json.dumps(value)


async def json_stream(
    fields: Sequence[str], pages: AsyncIterator[list[tuple[Any, ...]]], meta: dict[str, Any]
) -> AsyncIterator[bytes]:
    """The success envelope with `data` a list of objects, one chunk per page. A failure
    mid-stream ends the response without its closing bracket: invalid JSON, never a
    silently short export."""
    keys = [json.dumps(name) + ":" for name in fields]
    yield b'{"success":true,"data":['
    first = True
    async for page in pages:
        objects = ("{" + ",".join(k + _json_value(v) for k, v in zip(keys, row, strict=True))
                   + "}" for row in page)  # fmt: skip
        chunk = ",".join(objects)
        yield (chunk if first else "," + chunk).encode()
        first = False
    yield ('],"meta":' + json.dumps(meta) + ',"errors":[]}').encode()
