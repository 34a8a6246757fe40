"""Neo4j adapter of the GraphStore port; the only module that speaks Cypher."""

from __future__ import annotations

from neo4j import AsyncDriver, AsyncGraphDatabase

from crmgraph.errors import ServiceUnavailable


class Neo4jGraphStore:
    name = "neo4j"

    def __init__(self, uri: str, user: str, password: str) -> None:
        self._uri = uri
        self._driver: AsyncDriver = AsyncGraphDatabase.driver(
            uri, auth=(user, password), connection_timeout=5.0, max_transaction_retry_time=5.0
        )

    async def ping(self) -> str:
        try:
            records, _, _ = await self._driver.execute_query(
                "CALL dbms.components() YIELD versions RETURN versions[0] AS version"
            )
        except Exception as exc:  # the driver raises many kinds; all mean "not answering"
            raise ServiceUnavailable("Neo4j", self._uri, str(exc) or type(exc).__name__) from exc
        return str(records[0]["version"])

    async def close(self) -> None:
        await self._driver.close()
