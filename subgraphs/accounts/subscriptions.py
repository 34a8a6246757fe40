"""Subscription fields of the accounts subgraph: live account changes of the caller's tenant.
Each event carries the account as it is just after the change (payloads.AccountEvent), so a
subscriber is answered from the event, without a query per event."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry

from crmgraph.db import models
from crmgraph.events.envelope import Envelope
from crmgraph.events.payloads import AccountCreated, AccountEvent, AccountUpdated
from crmgraph.events.states import row_of
from crmgraph.events.stream import once_per_event
from crmgraph.gql.context import Info
from crmgraph.gql.ids import parse_optional_id
from subgraphs.accounts.types import Account

ACCOUNT_CHANGES = (AccountCreated, AccountUpdated)


@once_per_event
def account_of(event: Envelope[AccountEvent]) -> Account:
    """The account as the event carries it."""
    return Account.from_row(row_of(models.Account, event.payload.account))


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
        async for event in info.context.events(*ACCOUNT_CHANGES):
            if account is None or event.aggregate_id == account:
                yield account_of(event)
