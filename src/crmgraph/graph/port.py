"""The GraphStore port. Adapters: Neo4j (full mode) and SQL (embedded mode)."""

from __future__ import annotations

from typing import Protocol


class GraphStore(Protocol):
    name: str

    async def ping(self) -> str:
        """The backend's version string; raises ServiceUnavailable when it does not answer."""
        ...

    async def close(self) -> None: ...
