"""Query fields of the leads subgraph."""

from __future__ import annotations

import strawberry

from crmgraph.db import models
from crmgraph.gql.connections import Connection, PaginationInput, page_args
from crmgraph.gql.context import Info
from crmgraph.gql.lists import root_connection
from subgraphs.leads.types import Lead


@strawberry.type
class Query:
    @strawberry.field(description="One lead by id.")
    async def lead(self, info: Info, id: strawberry.ID) -> Lead | None:
        return await Lead.resolve_reference(info, id)

    @strawberry.field(description="Leads, oldest first.")
    async def leads(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        pagination: PaginationInput | None = None,
    ) -> Connection[Lead]:
        args = page_args(first, after, last, before, pagination)
        return await root_connection(info.context, models.Lead, Lead.from_row, args)
