"""Query fields of the deals subgraph."""

from __future__ import annotations

import strawberry

from crmgraph.db import models
from crmgraph.gql.connections import Connection, PaginationInput, page_args
from crmgraph.gql.context import Info
from crmgraph.gql.lists import root_connection
from subgraphs.deals.types import Deal


@strawberry.type
class Query:
    @strawberry.field(description="One deal by id.")
    async def deal(self, info: Info, id: strawberry.ID) -> Deal | None:
        return await Deal.resolve_reference(info, id)

    @strawberry.field(description="Deals, oldest first.")
    async def deals(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        pagination: PaginationInput | None = None,
    ) -> Connection[Deal]:
        args = page_args(first, after, last, before, pagination)
        return await root_connection(info.context, models.Deal, Deal.from_row, args)
