"""Mutation fields of the contacts subgraph."""

from __future__ import annotations

import strawberry
from strawberry.scalars import JSON

from crmgraph.domain import contacts
from crmgraph.gql.context import Info
from crmgraph.gql.ids import parse_optional_id
from crmgraph.gql.shared_types import AddressInput, address_json, json_object
from subgraphs.contacts.types import Contact


@strawberry.input
class CreateContactInput:
    first_name: str
    last_name: str
    email: str | None = None
    phone: str | None = None
    company: str | None = None
    job_title: str | None = None
    account_id: strawberry.ID | None = None
    address: AddressInput | None = None
    custom_fields: JSON | None = None

    def to_domain(self) -> contacts.NewContact:
        return contacts.NewContact(
            first_name=self.first_name,
            last_name=self.last_name,
            email=self.email,
            phone=self.phone,
            company=self.company,
            job_title=self.job_title,
            account_id=parse_optional_id(self.account_id, field="accountId"),
            address=address_json(self.address),
            custom_fields=json_object(self.custom_fields, field="customFields"),
        )


@strawberry.type
class ContactPayload:
    contact: Contact


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Create a contact, optionally at an account.")
    async def create_contact(self, info: Info, input: CreateContactInput) -> ContactPayload:
        data = input.to_domain()
        row = await info.context.write(
            lambda session, scope: contacts.create_contact(session, scope=scope, data=data)
        )
        return ContactPayload(contact=Contact.from_row(row))
