"""Bulk deal export: the tenant's deals matching a filter, as rows of the chosen fields, read
in keyset pages (crmgraph.db.pagination, oldest first) so memory stays flat however many
deals there are. Each page is read in its own short session: a slow reader holds no
connection between pages, and a deal changed during the export shows as it was when its
page was read."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Any

from sqlalchemy import ColumnElement, Select, Subquery, and_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import InstrumentedAttribute, aliased

from crmgraph.db import models
from crmgraph.db.filtering import Filter, predicates
from crmgraph.db.pagination import PageArgs, Sort, between_cursors, cursor_of, ordering
from crmgraph.db.scoping import Scope, owner_filter, tenant_filter, visible
from crmgraph.domain import validation

D, C, A = models.Deal, models.Contact, models.Account
S, P = models.PipelineStage, models.Pipeline
PAGE_ROWS = 1000

# The exportable fields, as the API design names them: a deal's own columns, and those of the
# rows it names.
OWN = ("id", "title", "value", "currency", "stage_id", "pipeline_id", "status", "probability",
       "expected_close_date", "actual_close_date", "description", "owner_id", "contact_id",
       "account_id", "created_at", "updated_at", "stage_entered_at")  # fmt: skip
RELATED: dict[str, ColumnElement[Any] | InstrumentedAttribute[Any]] = {
    "stage": S.name,
    "pipeline": P.name,
    "contact.name": C.first_name + " " + C.last_name,
    "contact.email": C.email,
    "account.name": A.name,
}
FIELDS = (*OWN, *RELATED)
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


def statement(scope: Scope, fields: Sequence[str], page: Subquery) -> Select[Any]:
    """The deals of page (a subquery of deal rows) with the keyset's columns (created_at,
    id), then those of fields, in the keyset's order. A contact's or account's columns are
    those of a row the caller may read (crmgraph.db.scoping.owner_filter), else empty: a
    caller reading contacts at the own level exports its deal's contact's name only when the
    contact is its own."""
    deal = aliased(D, page)
    columns = [getattr(deal, name) if name in OWN else RELATED[name] for name in fields]
    stmt = select(
        deal.created_at, deal.id, *(c.label(n) for c, n in zip(columns, fields, strict=True))
    )
    stmt = stmt.join(S, and_(S.id == deal.stage_id, tenant_filter(S, scope)))
    stmt = stmt.join(P, and_(P.id == deal.pipeline_id, tenant_filter(P, scope)))
    stmt = stmt.outerjoin(
        C, and_(C.id == deal.contact_id, tenant_filter(C, scope), *owner_filter(C, scope))
    )
    stmt = stmt.outerjoin(
        A, and_(A.id == deal.account_id, tenant_filter(A, scope), *owner_filter(A, scope))
    )
    return stmt.order_by(deal.created_at, deal.id)


def page_rows_of(scope: Scope, spec: Filter, after: str | None, rows: int) -> Subquery:
    """The next page's deals, read alone: the scan of their (tenant, created_at, id) index
    starts at the cursor and stops after `rows`, and only those rows meet the joins. (With
    the joins in the same query PostgreSQL joined every deal after the cursor, then sorted:
    each page cost more than the last.)"""
    stmt = visible(select(D), D, scope).where(*predicates(D, spec, scope))
    stmt = between_cursors(stmt, D, SORT, PageArgs(after=after))
    return stmt.order_by(*ordering(D, SORT, True)).limit(rows).subquery()


async def export_deals(
    sessions: async_sessionmaker[AsyncSession],
    *,
    scope: Scope,
    spec: Filter,
    fields: Sequence[str],
    page_rows: int = PAGE_ROWS,
) -> AsyncIterator[list[tuple[Any, ...]]]:
    """The matching deals' values of fields, a page of rows at a time, oldest first."""
    after: str | None = None
    while True:
        stmt = statement(scope, fields, page_rows_of(scope, spec, after, page_rows))
        async with sessions() as session:
            rows = (await session.execute(stmt)).all()
        if not rows:
            return
        after = cursor_of(SORT, rows[-1][0], rows[-1][1])
        yield [tuple(row[2:]) for row in rows]
        if len(rows) < page_rows:
            return
