"""Which database errors are the client's fault: values the database cannot store."""

from __future__ import annotations

from sqlalchemy.exc import DataError, DBAPIError


def is_unstorable_value(exc: BaseException) -> bool:
    """A data exception (SQLSTATE class 22: NUL in text, number out of range, ...)."""
    if isinstance(exc, DataError):
        return True
    if isinstance(exc, DBAPIError):
        state = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
        return isinstance(state, str) and state.startswith("22")
    return False
