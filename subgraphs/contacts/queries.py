"""Query fields of the contacts subgraph."""

from __future__ import annotations

import strawberry

from crmgraph.db import models
from crmgraph.domain import contacts
from crmgraph.domain.contacts import MAX_SEARCH_LENGTH, MAX_SEARCH_WORDS
from crmgraph.gql.connections import Connection, PaginationInput, page_args
from crmgraph.gql.context import Info
from crmgraph.gql.entity_filters import ContactFilter, filter_of
from crmgraph.gql.filters import sort_of
from crmgraph.gql.lists import root_connection
from subgraphs.contacts.inputs import ContactSort, ContactSortField
from subgraphs.contacts.types import Contact, CustomerOverview, customer_overview


@strawberry.type
class Query:
    @strawberry.field(description="One contact by id.")
    async def contact(self, info: Info, id: strawberry.ID) -> Contact | None:
        return await Contact.resolve_reference(info, id)

    @strawberry.field(
        description="Contacts matching filter, oldest first unless sorted.",
    )
    async def contacts(
        self,
        info: Info,
        filter: ContactFilter | None = None,
        sort: ContactSort | None = None,
        pagination: PaginationInput | None = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[Contact]:
        args = page_args(first, after, last, before, pagination)
        order = sort_of(sort.field if sort else None, sort.direction if sort else None,
                        {f.value: f.value for f in ContactSortField})  # fmt: skip
        return await root_connection(
            info.context, models.Contact, Contact.from_row, args, filter_of(filter), order
        )

    @strawberry.field(
        description="Contacts whose name, email or company contain every word of query "
        "(ignoring case), by last name; at most the maximum page size (100). query: 1 to "
        f"{MAX_SEARCH_WORDS} words, at most {MAX_SEARCH_LENGTH} characters "
        "(else VALIDATION_ERROR).",
    )
    async def search_contacts(
        self, info: Info, query: str, filters: ContactFilter | None = None
    ) -> list[Contact]:
        context = info.context
        async with context.session() as session:
            rows = await contacts.search_contacts(
                session,
                scope=context.scope,
                query=query,
                spec=filter_of(filters),
                limit=context.runtime.settings.max_page_size,
            )
        return [Contact.from_row(row) for row in rows]

    @strawberry.field(
        description="A customer (contact or account id) with its deals and activities, "
        "gathered from several subgraphs.",
    )
    async def customer_overview(
        self, info: Info, customer_id: strawberry.ID
    ) -> CustomerOverview | None:
        return await customer_overview(info, customer_id)
