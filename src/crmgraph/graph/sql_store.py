"""SQL adapter of the GraphStore port, for embedded mode (recursive CTEs over the same DB)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine

from crmgraph.db.engine import ping as db_ping


class SqlGraphStore:
    name = "sql"

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def ping(self) -> str:
        return f"sql ({self._engine.dialect.name} {await db_ping(self._engine)})"

    async def close(self) -> None:
        """The engine belongs to the runtime, which disposes of it."""
