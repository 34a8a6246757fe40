"""Bulk contact import: one result per row, each row written by create_contact or
update_contact, so it is validated, locked and announced in the outbox as an API write is.

Per row, not all or nothing: the batch is one transaction with a SAVEPOINT per row. A row
that fails (bad value, unknown id, duplicate) rolls back alone and is reported with its error;
the others commit together when the batch ends. So a crash or a lost connection mid-batch
stores none of it, and sending the same batch again is safe. A row that matches a contact
(by its mapped id, else by email: the oldest contact with that address, rows earlier in the
batch included) is updated, skipped or refused as crmgraph.domain.contact_import_rules says.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from crmgraph.db import models
from crmgraph.db.errors import is_unstorable_value
from crmgraph.db.scoping import Scope, scoped
from crmgraph.domain import bounds, contacts, validation
from crmgraph.domain.contact_import_rules import (
    MappedRow,
    Options,
    Status,
    map_row,
    mapping_of,
    on_match,
    required_for_create,
)
from crmgraph.errors import UNSTORABLE, DomainError, ErrorCode


@dataclass(frozen=True)
class RowResult:
    index: int
    status: Status
    contact_id: UUID | None = None
    errors: tuple[dict[str, object], ...] = field(default=())


async def import_contacts(
    session: AsyncSession,
    *,
    scope: Scope,
    rows: Sequence[object],
    field_mapping: Mapping[str, str],
    options: Options,
) -> list[RowResult]:
    """Import rows inside the caller's transaction (see the module's docstring); raises
    VALIDATION_ERROR, changing nothing, for an oversized batch or an unknown mapped field."""
    validation.at_most(rows, bounds.IMPORT_ROWS, field="contacts")
    mapping = mapping_of(field_mapping)
    results = []
    for index, raw in enumerate(rows):
        mapped: MappedRow | None = None
        try:
            mapped = map_row(raw, mapping, strict=options.strict)
            async with session.begin_nested():
                results.append(await _import_row(session, scope, index, mapped, options))
        except DomainError as error:
            results.append(_failed(index, error, mapped))
        except DBAPIError as exc:
            if not is_unstorable_value(exc):
                raise
            results.append(
                _failed(index, DomainError(ErrorCode.VALIDATION_ERROR, UNSTORABLE), mapped)
            )
    return results


async def _import_row(
    session: AsyncSession, scope: Scope, index: int, row: MappedRow, options: Options
) -> RowResult:
    values = dict(row.values)
    match_id = values.pop("id", None)
    by = "id"
    if match_id is None and values.get("email") is not None:
        values["email"] = validation.optional_email(values["email"])
        match_id, by = await _by_email(session, scope, values["email"]), "email"
    elif match_id is not None and not await _exists(session, scope, match_id):
        raise DomainError(ErrorCode.NOT_FOUND, f"Contact {match_id} not found",
                          field=row.sources.get("id", "id"))  # fmt: skip
    if match_id is None:
        required_for_create(row)
        contact = await contacts.create_contact(
            session, scope=scope, data=contacts.NewContact(**values)
        )
        return RowResult(index, "created", contact.id)
    status = on_match(options, match_id, by=row.sources.get(by, by))
    if status == "updated":
        changes = contacts.ContactChanges(**values)
        await contacts.update_contact(session, scope=scope, contact_id=match_id, changes=changes)
    return RowResult(index, status, match_id)


async def _by_email(session: AsyncSession, scope: Scope, email: str | None) -> UUID | None:
    c = models.Contact
    stmt = scoped(select(c.id), c, scope).where(c.email == email)
    found: UUID | None = await session.scalar(stmt.order_by(c.created_at, c.id).limit(1))
    return found


async def _exists(session: AsyncSession, scope: Scope, contact_id: UUID) -> bool:
    c = models.Contact
    stmt = scoped(select(c.id), c, scope).where(c.id == contact_id)
    return await session.scalar(stmt) is not None


def _failed(index: int, error: DomainError, row: MappedRow | None) -> RowResult:
    """The row's error in the design's format, its field named as the source names it."""
    body: dict[str, Any] = error.as_dict()
    if row is not None and error.field is not None:
        body["field"] = row.source_of(error.field)
    return RowResult(index, "failed", errors=(body,))
