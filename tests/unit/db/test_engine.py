"""Engines: pools with a fixed budget of PostgreSQL connections (no I/O: engines connect
lazily)."""

from __future__ import annotations

from sqlalchemy.pool import QueuePool

from crmgraph.config import Settings
from crmgraph.db.direct_reads import direct_size
from crmgraph.db.engine import create_engine

URL = "postgresql+asyncpg://u:p@127.0.0.1:1/crm"


def budget(settings: Settings, *, reads: bool) -> tuple[int, int]:
    pool = create_engine(settings, reads=reads).sync_engine.pool
    assert isinstance(pool, QueuePool)
    return pool.size(), pool._max_overflow


def test_pools_never_open_more_than_their_size() -> None:
    settings = Settings(database_url=URL)

    # The reads' DB_POOL_SIZE: half for the compiled reads' own connections, half pooled.
    assert budget(settings, reads=True) == (4, 0)
    assert direct_size(settings) == 4
    assert budget(settings, reads=False) == (4, 0)


def test_db_pool_size_sets_the_budget() -> None:
    settings = Settings(database_url=URL, db_pool_size=3)

    assert budget(settings, reads=True) == (2, 0)
    assert direct_size(settings) == 1
    assert budget(settings, reads=False) == (2, 0)
