"""Subscription fields of the contacts subgraph: live contact changes of the caller's tenant.
Each event carries the contact as it is just after the change (payloads.ContactEvent), so a
subscriber is answered from the event, without a query per event."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry

from crmgraph.db import models
from crmgraph.events.envelope import Envelope
from crmgraph.events.payloads import ContactCreated, ContactEvent, ContactUpdated
from crmgraph.events.states import row_of
from crmgraph.events.stream import once_per_event
from crmgraph.gql.context import Info
from crmgraph.gql.ids import parse_optional_id
from subgraphs.contacts.types import Contact

CONTACT_CHANGES = (ContactCreated, ContactUpdated)


@once_per_event
def contact_of(event: Envelope[ContactEvent]) -> Contact:
    """The contact as the event carries it."""
    return Contact.from_row(row_of(models.Contact, event.payload.contact))


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
        async for event in info.context.events(*CONTACT_CHANGES):
            if account is None or event.payload.contact.account_id == account:
                yield contact_of(event)
