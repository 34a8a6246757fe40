"""Parsing GraphQL IDs into UUIDs with a field-named error."""

from __future__ import annotations

from uuid import UUID

from crmgraph.errors import DomainError, ErrorCode


def parse_id(value: str, *, field: str = "id") -> UUID:
    try:
        return UUID(str(value))
    except ValueError as exc:
        raise DomainError(
            ErrorCode.VALIDATION_ERROR, f"{field} is not a valid id", field=field
        ) from exc


def uuid_or_none(value: object) -> UUID | None:
    """The UUID value names, or None when it is not one (no error: for lookups where a
    malformed id simply names nothing)."""
    try:
        return UUID(str(value))
    except ValueError:
        return None


def parse_optional_id(value: str | None, *, field: str) -> UUID | None:
    return None if value is None else parse_id(value, field=field)
