"""The GraphStore port. Adapters: Neo4j (full mode) and SQL (embedded mode)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol
from uuid import UUID

from crmgraph.domain.attribution import Journey
from crmgraph.domain.customer_journey import JourneyStep


class GraphStore(Protocol):
    name: str

    async def ping(self) -> str:
        """The backend's version string; raises ServiceUnavailable when it does not answer."""
        ...

    async def close(self) -> None: ...

    # --- Marketing journeys (revenue attribution, customer journeys) -----------------------
    # Both adapters answer these with the SQL reader (crmgraph.graph.sql_journeys) until the
    # Neo4j projection holds campaigns and touchpoints.

    async def revenue_journeys(
        self, tenant: str, start: datetime, end: datetime, *, non_converting: bool = False
    ) -> Sequence[Journey]:
        """One journey per deal of the tenant closed (won or lost) in [start, end], with the
        touchpoints of its contact and of the lead it came from; with non_converting, also
        one per lead created in the range that became no such deal."""
        ...

    async def customer_journey(
        self, tenant: str, *, contact_id: UUID | None = None, account_id: UUID | None = None
    ) -> Sequence[JourneyStep]:
        """Every step of a contact's or an account's journey, ordered by (occurred_at, id);
        NOT_FOUND when it is not the tenant's, VALIDATION_ERROR unless exactly one is given."""
        ...
