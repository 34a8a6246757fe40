"""Neo4j adapter of the GraphStore port; the only module that speaks Cypher."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from neo4j import AsyncDriver, AsyncGraphDatabase

from crmgraph.domain.attribution import Journey
from crmgraph.domain.customer_journey import JourneyStep
from crmgraph.errors import ServiceUnavailable
from crmgraph.graph.sql_store import SqlGraphStore


class Neo4jGraphStore:
    name = "neo4j"

    def __init__(self, uri: str, user: str, password: str, *, sql: SqlGraphStore) -> None:
        self._uri = uri
        self._sql = sql  # answers what the projection does not hold yet (journeys)
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

    # --- Marketing journeys (revenue attribution, customer journeys) -----------------------
    # The projection does not hold campaigns and touchpoints yet: the SQL reader answers.

    async def revenue_journeys(
        self, tenant: str, start: datetime, end: datetime, *, non_converting: bool = False
    ) -> Sequence[Journey]:
        return await self._sql.revenue_journeys(tenant, start, end, non_converting=non_converting)

    async def customer_journey(
        self, tenant: str, *, contact_id: UUID | None = None, account_id: UUID | None = None
    ) -> Sequence[JourneyStep]:
        return await self._sql.customer_journey(
            tenant, contact_id=contact_id, account_id=account_id
        )
