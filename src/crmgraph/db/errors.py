"""Which database errors are not faults of ours: values the database cannot store,
concurrent writes the database made fail, and a database that does not answer."""

from __future__ import annotations

import socket

from sqlalchemy.exc import DataError, DBAPIError

# SQLSTATEs of a server that is going away or not there yet: admin_shutdown, crash_shutdown,
# cannot_connect_now (starting up, shutting down); class 08 is any connection exception.
_GOING_AWAY = ("57P01", "57P02", "57P03")


def is_unstorable_value(exc: BaseException) -> bool:
    """A data exception (SQLSTATE class 22: NUL in text, number out of range, ...)."""
    if isinstance(exc, DataError):
        return True
    return _sqlstate(exc).startswith("22")


def is_write_conflict(exc: BaseException) -> bool:
    """A deadlock (40P01) or serialization failure (40001): concurrent writes of the same
    rows, of which the database rolled this one back. Nothing changed; a retry may succeed."""
    return _sqlstate(exc) in ("40P01", "40001")


def is_unreachable(exc: BaseException) -> bool:
    """The database does not answer: connecting was refused or timed out, the connection
    was lost, or the server is shutting down or starting up. Not the request's fault: the
    caller gets SERVICE_UNAVAILABLE (crmgraph.errors.dependency_down) and may try again."""
    if isinstance(exc, ConnectionError | TimeoutError | socket.gaierror):
        return True
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    state = _sqlstate(exc)
    return state.startswith("08") or state in _GOING_AWAY


def _sqlstate(exc: BaseException) -> str:
    orig = exc.orig if isinstance(exc, DBAPIError) else exc
    state = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    return state if isinstance(state, str) else ""
