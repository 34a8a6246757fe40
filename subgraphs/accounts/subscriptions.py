"""Subscription fields of the accounts subgraph: live account changes of the caller's tenant."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry

from crmgraph.gql.context import Info
from crmgraph.gql.ids import parse_optional_id
from crmgraph.gql.live import changed_rows
from subgraphs.accounts.types import Account

ACCOUNT_CHANGES = ("account.created", "account.updated")


@strawberry.type
class Subscription:
    @strawberry.subscription(
        description="An account as it is after each change (created or updated): one "
        "account (accountId) or every account.",
    )
    async def account_updated(
        self, info: Info, account_id: strawberry.ID | None = None
    ) -> AsyncGenerator[Account, None]:
        account = parse_optional_id(account_id, field="accountId")
        rows = changed_rows(
            info,
            ACCOUNT_CHANGES,
            lambda loaders: loaders.account_by_id,
            lambda event: account is None or event.aggregate_id == str(account),
        )
        async for row in rows:
            yield Account.from_row(row)
