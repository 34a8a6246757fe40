"""SQL adapter of the GraphStore port, for embedded mode (recursive CTEs over the same DB)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from crmgraph.db.engine import ping as db_ping
from crmgraph.domain.attribution import Journey
from crmgraph.domain.customer_journey import JourneyStep
from crmgraph.graph import sql_customer_journey, sql_journeys


class SqlGraphStore:
    name = "sql"

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def ping(self) -> str:
        return f"sql ({self._engine.dialect.name} {await db_ping(self._engine)})"

    async def close(self) -> None:
        """The engine belongs to the runtime, which disposes of it."""

    # --- Marketing journeys (revenue attribution, customer journeys) -----------------------

    async def revenue_journeys(
        self, tenant: str, start: datetime, end: datetime, *, non_converting: bool = False
    ) -> Sequence[Journey]:
        async with AsyncSession(self._engine) as session:
            return await sql_journeys.revenue_journeys(
                session, tenant, start, end, non_converting=non_converting
            )

    async def customer_journey(
        self, tenant: str, *, contact_id: UUID | None = None, account_id: UUID | None = None
    ) -> Sequence[JourneyStep]:
        async with AsyncSession(self._engine) as session:
            return await sql_customer_journey.customer_journey(
                session, tenant, contact_id=contact_id, account_id=account_id
            )
