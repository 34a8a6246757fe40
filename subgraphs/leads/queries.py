"""Query fields of the leads subgraph."""

from __future__ import annotations

import strawberry

from crmgraph.db import models
from crmgraph.gql.connections import Connection, PaginationInput, page_args
from crmgraph.gql.context import Info
from crmgraph.gql.ids import parse_id
from crmgraph.gql.lists import root_connection
from subgraphs.leads.inputs import LeadFilter, LeadSort, lead_filter, lead_sort
from subgraphs.leads.types import Lead, LeadScore


@strawberry.type
class Query:
    @strawberry.field(description="One lead by id.")
    async def lead(self, info: Info, id: strawberry.ID) -> Lead | None:
        return await Lead.resolve_reference(info, id)

    @strawberry.field(
        description="Leads matching filter, oldest first unless sorted.",
    )
    async def leads(
        self,
        info: Info,
        filter: LeadFilter | None = None,
        sort: LeadSort | None = None,
        pagination: PaginationInput | None = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[Lead]:
        args = page_args(first, after, last, before, pagination)
        spec, order = lead_filter(filter), lead_sort(sort)
        return await root_connection(info.context, models.Lead, Lead.from_row, args, spec, order)

    @strawberry.field(description="A lead's score and its latest change.")
    async def lead_scoring(self, info: Info, lead_id: strawberry.ID) -> LeadScore | None:
        loaders = info.context.loaders
        key = parse_id(lead_id, field="leadId")
        lead = await loaders.lead_by_id.load(key)
        if lead is None:
            return None
        history = await loaders.score_history_by_lead.load(key)
        return LeadScore.of(lead, history[0] if history else None)
