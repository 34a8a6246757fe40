"""GraphQL types of the contacts subgraph."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any
from uuid import UUID

import strawberry
from strawberry.scalars import JSON

from crmgraph.db import models
from crmgraph.db.pagination import PageArgs
from crmgraph.domain.contacts import full_name
from crmgraph.gql.connections import Connection, to_connection
from crmgraph.gql.context import Info
from crmgraph.gql.entities import by_ids
from crmgraph.gql.entity_filters import ContactFilter, filter_of
from crmgraph.gql.ids import parse_id
from crmgraph.gql.shared_types import Address, json_out
from crmgraph.loaders import ChildPage


@strawberry.federation.type(keys=["id"], description="A person, usually at an account.")
class Contact:
    id: strawberry.ID
    first_name: str
    last_name: str
    email: str | None
    phone: str | None
    company: str | None
    job_title: str | None
    address: Address | None
    custom_fields: JSON | None
    created_at: datetime
    updated_at: datetime
    account_id: strawberry.Private[UUID | None]

    @classmethod
    def from_row(cls, row: models.Contact) -> Contact:
        return cls(
            id=strawberry.ID(str(row.id)),
            first_name=row.first_name,
            last_name=row.last_name,
            email=row.email,
            phone=row.phone,
            company=row.company,
            job_title=row.job_title,
            address=Address.from_json(row.address),
            custom_fields=json_out(row.custom_fields),
            created_at=row.created_at,
            updated_at=row.updated_at,
            account_id=row.account_id,
        )

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Contact | None:
        row = await info.context.loaders.contact_by_id.load(parse_id(id))
        return None if row is None else cls.from_row(row)

    @classmethod
    async def resolve_references(cls, info: Info, ids: list[Any]) -> list[Contact | None]:
        return await by_ids(info.context.loaders.contact_by_id, ids, cls.from_row)

    @strawberry.field(description="First and last name.")
    def full_name(self) -> str:
        return full_name(self.first_name, self.last_name)

    @strawberry.field(description="The account the contact works at.")
    def account(self) -> Account | None:
        return None if self.account_id is None else Account(id=strawberry.ID(str(self.account_id)))


@strawberry.federation.type(keys=["id"])
class Account:
    id: strawberry.ID

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> Account:
        return cls(id=id)

    @strawberry.field(
        description="Contacts at this account, oldest first.",
    )
    async def contacts(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        filter: ContactFilter | None = None,
    ) -> Connection[Contact]:
        loaders = info.context.loaders
        account_id, spec = parse_id(self.id), filter_of(filter)
        page = await loaders.contacts_by_account.load(
            ChildPage(account_id, PageArgs(first, after), spec)
        )
        return to_connection(
            page,
            Contact.from_row,
            lambda: loaders.contact_count_by_account.load((account_id, spec)),
        )


@strawberry.federation.type(
    keys=["id"], description="One customer seen across subgraphs: a contact or an account."
)
class CustomerOverview:
    id: strawberry.ID
    contact_id: strawberry.Private[UUID | None]
    account_id: strawberry.Private[UUID | None]

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> CustomerOverview | None:
        return await customer_overview(info, id)

    @strawberry.field(description="The contact, when the customer id is a contact's.")
    async def contact(self, info: Info) -> Contact | None:
        if self.contact_id is None:
            return None
        row = await info.context.loaders.contact_by_id.load(self.contact_id)
        return None if row is None else Contact.from_row(row)

    @strawberry.field(description="The account: the customer itself, or the contact's account.")
    def account(self) -> Account | None:
        return None if self.account_id is None else Account(id=strawberry.ID(str(self.account_id)))


async def customer_overview(info: Info, id: strawberry.ID) -> CustomerOverview | None:
    """The customer id may be a contact's or an account's; unknown ids give null."""
    loaders = info.context.loaders
    key = parse_id(id, field="customerId")
    contact, account = await asyncio.gather(
        loaders.contact_by_id.load(key), loaders.account_by_id.load(key)
    )
    if contact is not None:
        return CustomerOverview(id=id, contact_id=contact.id, account_id=contact.account_id)
    if account is not None:
        return CustomerOverview(id=id, contact_id=None, account_id=account.id)
    return None
