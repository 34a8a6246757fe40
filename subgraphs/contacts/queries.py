"""Query fields of the contacts subgraph."""

from __future__ import annotations

import strawberry

from crmgraph.db import models
from crmgraph.gql.connections import Connection, PaginationInput, page_args
from crmgraph.gql.context import Info
from crmgraph.gql.lists import root_connection
from subgraphs.contacts.types import Contact


@strawberry.type
class Query:
    @strawberry.field(description="One contact by id.")
    async def contact(self, info: Info, id: strawberry.ID) -> Contact | None:
        return await Contact.resolve_reference(info, id)

    @strawberry.field(description="Contacts, oldest first.")
    async def contacts(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        pagination: PaginationInput | None = None,
    ) -> Connection[Contact]:
        args = page_args(first, after, last, before, pagination)
        return await root_connection(info.context, models.Contact, Contact.from_row, args)
