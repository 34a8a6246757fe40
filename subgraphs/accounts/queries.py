"""Query fields of the accounts subgraph."""

from __future__ import annotations

import strawberry

from crmgraph.db import models
from crmgraph.gql.connections import Connection, PaginationInput, page_args
from crmgraph.gql.context import Info
from crmgraph.gql.entity_filters import AccountFilter, filter_of
from crmgraph.gql.filters import sort_of
from crmgraph.gql.ids import parse_id
from crmgraph.gql.lists import root_connection
from subgraphs.accounts.inputs import AccountSort, AccountSortField
from subgraphs.accounts.types import Account, AccountHierarchy, User


@strawberry.type
class Query:
    @strawberry.field(description="One account by id.")
    async def account(self, info: Info, id: strawberry.ID) -> Account | None:
        return await Account.resolve_reference(info, id)

    @strawberry.field(
        description="Accounts matching filter, oldest first unless sorted.",
    )
    async def accounts(
        self,
        info: Info,
        filter: AccountFilter | None = None,
        sort: AccountSort | None = None,
        pagination: PaginationInput | None = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[Account]:
        args = page_args(first, after, last, before, pagination)
        order = sort_of(sort.field if sort else None, sort.direction if sort else None,
                        {f.value: f.value for f in AccountSortField})  # fmt: skip
        return await root_connection(
            info.context, models.Account, Account.from_row, args, filter_of(filter), order
        )

    @strawberry.field(description="An account's hierarchy (Account.hierarchy); null if none.")
    async def account_hierarchy(
        self, info: Info, account_id: strawberry.ID
    ) -> AccountHierarchy | None:
        account = await Account.resolve_reference(info, account_id)
        return None if account is None else account.hierarchy()

    @strawberry.field(description="One user of the caller's tenant by id.")
    async def user(self, info: Info, id: strawberry.ID) -> User | None:
        row = await info.context.loaders.directory_user_by_id.load(parse_id(id))
        return None if row is None else User.from_row(row)
