"""Query fields of the accounts subgraph."""

from __future__ import annotations

import strawberry

from crmgraph.db import models
from crmgraph.gql.connections import Connection, PaginationInput, page_args
from crmgraph.gql.context import Info
from crmgraph.gql.lists import root_connection
from subgraphs.accounts.types import Account


@strawberry.type
class Query:
    @strawberry.field(description="One account by id.")
    async def account(self, info: Info, id: strawberry.ID) -> Account | None:
        return await Account.resolve_reference(info, id)

    @strawberry.field(description="Accounts, oldest first.")
    async def accounts(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        pagination: PaginationInput | None = None,
    ) -> Connection[Account]:
        args = page_args(first, after, last, before, pagination)
        return await root_connection(info.context, models.Account, Account.from_row, args)
