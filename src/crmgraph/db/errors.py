"""Which database errors are not faults of ours: values the database cannot store, and
concurrent writes the database made fail."""

from __future__ import annotations

from sqlalchemy.exc import DataError, DBAPIError


def is_unstorable_value(exc: BaseException) -> bool:
    """A data exception (SQLSTATE class 22: NUL in text, number out of range, ...)."""
    if isinstance(exc, DataError):
        return True
    return _sqlstate(exc).startswith("22")


def is_write_conflict(exc: BaseException) -> bool:
    """A deadlock (40P01) or serialization failure (40001): concurrent writes of the same
    rows, of which the database rolled this one back. Nothing changed; a retry may succeed."""
    return _sqlstate(exc) in ("40P01", "40001")


def _sqlstate(exc: BaseException) -> str:
    if not isinstance(exc, DBAPIError):
        return ""
    state = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
    return state if isinstance(state, str) else ""
