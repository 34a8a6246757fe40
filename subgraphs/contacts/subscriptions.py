"""Subscription fields of the contacts subgraph: live contact changes of the caller's tenant."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry

from crmgraph.gql.context import Info
from crmgraph.gql.ids import parse_optional_id
from crmgraph.gql.live import changed_rows
from subgraphs.contacts.types import Contact

CONTACT_CHANGES = ("contact.created", "contact.updated")


@strawberry.type
class Subscription:
    @strawberry.subscription(
        description="A contact as it is after each change (created or updated), at one "
        "account (accountId) or at any.",
    )
    async def contact_updated(
        self, info: Info, account_id: strawberry.ID | None = None
    ) -> AsyncGenerator[Contact, None]:
        account = parse_optional_id(account_id, field="accountId")
        rows = changed_rows(
            info,
            CONTACT_CHANGES,
            lambda loaders: loaders.contact_by_id,
            lambda event: account is None or event.data.get("account_id") == str(account),
        )
        async for row in rows:
            yield Contact.from_row(row)
