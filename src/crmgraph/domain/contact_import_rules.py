"""The row rules of a bulk contact import, without a database: how the design's
field_mapping turns a source row into our contact fields, and what a row that matches an
existing contact becomes.

field_mapping maps OUR field to the SOURCE column, as the API design's example does
(`"email": "email_address"`); a field it does not name is read from the column of its own name.
`company_name` is the design's name for `company`. A column that feeds no field is an error of
its row under validation_level "strict" (the default) and ignored under "lenient". A value
that is absent keeps the field on update (UNSET); null clears it (crmgraph.domain.changes).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal
from uuid import UUID

from crmgraph.domain import validation
from crmgraph.domain.changes import camel
from crmgraph.errors import DomainError, ErrorCode

Status = Literal["created", "updated", "skipped", "failed"]

# Our importable fields and the type each value must have (None: any JSON object).
TEXT = ("first_name", "last_name", "email", "phone", "company", "job_title")
IDS = ("id", "account_id")
OBJECTS = ("address", "custom_fields")
FIELDS = (*IDS, *TEXT, *OBJECTS)
ALIASES = {"company_name": "company"}


@dataclass(frozen=True)
class Options:
    """import_options: what a row matching an existing contact (same id, else same email)
    becomes: updated with update_existing, else skipped with skip_duplicates, else failed."""

    update_existing: bool = False
    skip_duplicates: bool = False
    strict: bool = True


@dataclass(frozen=True)
class MappedRow:
    """A source row in our fields (only those it has), and every field's source column."""

    values: dict[str, Any]
    sources: dict[str, str] = field(default_factory=dict)

    def source_of(self, error_field: str | None) -> str | None:
        """The source column behind an error's field (`firstName` -> `First Name`)."""
        for ours, column in self.sources.items():
            if error_field in (ours, camel(ours)):
                return column
        return error_field


def mapping_of(field_mapping: Mapping[str, str]) -> dict[str, str]:
    """Our field -> source column for every field; unknown field names are a
    VALIDATION_ERROR of the whole request (field_mapping.<name>)."""
    effective = {name: name for name in FIELDS}
    for ours, column in field_mapping.items():
        name = ALIASES.get(ours, ours)
        if name not in FIELDS:
            known = ", ".join((*FIELDS, *ALIASES))
            raise validation.invalid(
                f"field_mapping.{ours}", f"unknown field {ours}; known: {known}"
            )
        effective[name] = column
    return effective


def map_row(row: object, mapping: Mapping[str, str], *, strict: bool) -> MappedRow:
    """Our fields of one source row, each value checked for its type; raises DomainError
    (VALIDATION_ERROR naming the source column) for the row's first problem."""
    if not isinstance(row, dict):
        raise validation.invalid("row", "a row must be a JSON object")
    used = {column for column in mapping.values()}
    unknown = [column for column in row if column not in used]
    if strict and unknown:
        raise validation.invalid(
            unknown[0], f"column {unknown[0]} feeds no field: map it in field_mapping, or "
            'drop it, or import with validation_level "lenient"'
        )  # fmt: skip
    values = {
        ours: _checked(ours, row[column], column)
        for ours, column in mapping.items()
        if column in row
    }
    return MappedRow(values, dict(mapping))


def _checked(ours: str, value: Any, column: str) -> Any:
    if value is None:
        return None
    if ours in IDS:
        try:
            return UUID(str(value))
        except ValueError as exc:
            raise validation.invalid(column, f"{column} is not an id") from exc
    if ours in OBJECTS:
        if not isinstance(value, dict):
            raise validation.invalid(column, f"{column} must be a JSON object")
        return value
    if not isinstance(value, str):
        raise validation.invalid(column, f"{column} must be text")
    return value


def on_match(options: Options, existing: UUID, *, by: str) -> Status:
    """What a row matching contact `existing` (by id or email) becomes, or a CONFLICT."""
    if options.update_existing:
        return "updated"
    if options.skip_duplicates:
        return "skipped"
    raise DomainError(
        ErrorCode.CONFLICT,
        f"a contact with this {by} exists ({existing}): set import_options.update_existing "
        "or skip_duplicates",
        field=by,
        details={"contact_id": str(existing)},
    )


def required_for_create(row: MappedRow) -> None:
    """A new contact needs both names (an update does not)."""
    for ours in ("first_name", "last_name"):
        if row.values.get(ours) is None:
            raise validation.invalid(
                row.sources.get(ours, ours), f"{ours} is required for a new contact"
            )
