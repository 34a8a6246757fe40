"""Bulk deal export: the tenant's deals matching a filter, as rows of the chosen fields, read
in keyset pages (crmgraph.db.pagination, oldest first) so memory stays flat however many
deals there are. Each page is read in its own short session: a slow reader holds no
connection between pages, and a deal changed during the export shows as it was when its
page was read."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import InstrumentedAttribute

from crmgraph.db import models
from crmgraph.db.filtering import Filter, predicates
from crmgraph.db.pagination import PageArgs, Sort, between_cursors, encode_cursor, ordering
from crmgraph.db.scoping import Scope, scoped, tenant_filter
from crmgraph.domain import validation

D, C, A = models.Deal, models.Contact, models.Account
S, P = models.PipelineStage, models.Pipeline
PAGE_ROWS = 1000

# The exportable fields, as the API design names them, and where each comes from.
FIELDS: dict[str, ColumnElement[Any] | InstrumentedAttribute[Any]] = {
    "id": D.id,
    "title": D.title,
    "value": D.value,
    "currency": D.currency,
    "stage": S.name,
    "stage_id": D.stage_id,
    "pipeline": P.name,
    "pipeline_id": D.pipeline_id,
    "status": D.status,
    "probability": D.probability,
    "expected_close_date": D.expected_close_date,
    "actual_close_date": D.actual_close_date,
    "description": D.description,
    "owner_id": D.owner_id,
    "contact_id": D.contact_id,
    "contact.name": (C.first_name + " " + C.last_name),
    "contact.email": C.email,
    "account_id": D.account_id,
    "account.name": A.name,
    "created_at": D.created_at,
    "updated_at": D.updated_at,
    "stage_entered_at": D.stage_entered_at,
}
DEFAULT_FIELDS = ("id", "title", "value", "currency", "stage", "status", "probability",
                  "expected_close_date", "contact.name", "contact.email", "account.name",
                  "created_at")  # fmt: skip
SORT = Sort()  # created_at, then id


def checked_fields(fields: Sequence[str] | None) -> tuple[str, ...]:
    """The fields asked for (DEFAULT_FIELDS when none); unknown ones are a VALIDATION_ERROR."""
    if not fields:
        return DEFAULT_FIELDS
    unknown = [name for name in fields if name not in FIELDS]
    if unknown:
        raise validation.invalid(
            "fields", f"unknown field {unknown[0]}; exportable: {', '.join(FIELDS)}"
        )
    if len(set(fields)) != len(fields):
        raise validation.invalid("fields", "a field is named twice")
    return tuple(fields)


def statement(scope: Scope, spec: Filter, fields: Sequence[str]) -> Select[Any]:
    """The tenant's deals matching spec with the columns of fields (after the Deal itself,
    which the keyset cursor reads)."""
    stmt = select(D, *(FIELDS[name].label(name) for name in fields))
    stmt = stmt.join(S, and_(S.id == D.stage_id, tenant_filter(S, scope)))
    stmt = stmt.join(P, and_(P.id == D.pipeline_id, tenant_filter(P, scope)))
    stmt = stmt.outerjoin(C, and_(C.id == D.contact_id, tenant_filter(C, scope)))
    stmt = stmt.outerjoin(A, and_(A.id == D.account_id, tenant_filter(A, scope)))
    return scoped(stmt, D, scope).where(*predicates(D, spec, scope))


async def export_deals(
    sessions: async_sessionmaker[AsyncSession],
    *,
    scope: Scope,
    spec: Filter,
    fields: Sequence[str],
    page_rows: int = PAGE_ROWS,
) -> AsyncIterator[list[tuple[Any, ...]]]:
    """The matching deals' values of fields, a page of rows at a time, oldest first."""
    base = statement(scope, spec, fields)
    after: str | None = None
    while True:
        stmt = between_cursors(base, D, SORT, PageArgs(after=after))
        stmt = stmt.order_by(*ordering(D, SORT, True)).limit(page_rows)
        async with sessions() as session:
            rows = (await session.execute(stmt)).all()
            if not rows:
                return
            after = encode_cursor(rows[-1][0], SORT)
            page = [tuple(row[1:]) for row in rows]
        yield page
        if len(rows) < page_rows:
            return
