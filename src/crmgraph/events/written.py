"""What a transaction wrote to the outbox, so that its writer can wake just those consumers.

deliveries.enqueue() notes in the session which consumers got a delivery; at its first
statement each session notes which PostgreSQL backend runs it (the one whose commit the
outbox trigger's NOTIFY will come from). After the commit, taken() hands both over to
ConsumerRunner.wake_after_write: the runner wakes only those consumers, and its leading
listener knows to skip the NOTIFY of that commit instead of waking every consumer again
(own_backend() lets it tell a NOTIFY of this process's, which may come before that word).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, SessionTransaction

CONSUMERS = "crmgraph.outbox_consumers"
BACKEND = "crmgraph.backend_pid"
# Every PostgreSQL backend a session of this process has run in (a pid reused later by
# another process's connection only makes its NOTIFY wait outbox_listener.GRACE).
_OWN_BACKENDS: set[int] = set()


def own_backend(pid: int) -> bool:
    """Has a session of this process run in backend pid?"""
    return pid in _OWN_BACKENDS


@dataclass(frozen=True)
class Written:
    """The consumers a committed transaction gave deliveries to, and its backend's pid
    (None off PostgreSQL)."""

    consumers: frozenset[str]
    backend: int | None


def note(session: AsyncSession | Session, consumers: Iterable[str]) -> None:
    """consumers got deliveries in session's transaction."""
    info = session.info
    info.setdefault(CONSUMERS, set()).update(consumers)


def taken(session: AsyncSession) -> Written:
    """What session's committed transaction wrote for consumers; forgotten once taken."""
    consumers = frozenset(session.info.pop(CONSUMERS, ()))
    return Written(consumers, session.info.get(BACKEND))


@event.listens_for(Session, "after_begin")
def _note_backend(_session: Session, _tx: SessionTransaction, connection: Connection) -> None:
    driver: Any = connection.connection.driver_connection
    server_pid = getattr(driver, "get_server_pid", None)  # asyncpg's; SQLite has none
    pid = server_pid() if server_pid is not None else None
    _session.info[BACKEND] = pid
    if pid is not None:
        _OWN_BACKENDS.add(pid)
