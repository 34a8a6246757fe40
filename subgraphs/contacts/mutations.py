"""Mutation fields of the contacts subgraph."""

from __future__ import annotations

import strawberry
from strawberry.scalars import JSON

from crmgraph.domain import contacts
from crmgraph.gql.context import Info
from crmgraph.gql.ids import parse_id, parse_optional_id
from crmgraph.gql.inputs import given
from crmgraph.gql.shared_types import AddressInput, DeletePayload, address_json, json_object
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


@strawberry.input(description="Only the fields given change; null clears an optional field.")
class UpdateContactInput:
    first_name: str | None = strawberry.UNSET
    last_name: str | None = strawberry.UNSET
    email: str | None = strawberry.UNSET
    phone: str | None = strawberry.UNSET
    company: str | None = strawberry.UNSET
    job_title: str | None = strawberry.UNSET
    account_id: strawberry.ID | None = strawberry.UNSET
    address: AddressInput | None = strawberry.UNSET
    custom_fields: JSON | None = strawberry.UNSET

    def to_domain(self) -> contacts.ContactChanges:
        return given(
            self,
            contacts.ContactChanges,
            account_id=lambda v: parse_id(v, field="accountId"),
            address=address_json,
            custom_fields=lambda v: json_object(v, field="customFields"),
        )


@strawberry.type
class ContactPayload:
    contact: Contact


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="Create a contact, optionally at an account.",
    )
    async def create_contact(self, info: Info, input: CreateContactInput) -> ContactPayload:
        data = input.to_domain()
        row = await info.context.write(
            lambda session, scope: contacts.create_contact(session, scope=scope, data=data)
        )
        return ContactPayload(contact=Contact.from_row(row))

    @strawberry.mutation(
        description="Change some fields of a contact.",
    )
    async def update_contact(
        self, info: Info, id: strawberry.ID, input: UpdateContactInput
    ) -> ContactPayload:
        contact_id, changes = parse_id(id), input.to_domain()
        row = await info.context.write(
            lambda session, scope: contacts.update_contact(
                session, scope=scope, contact_id=contact_id, changes=changes
            )
        )
        return ContactPayload(contact=Contact.from_row(row))

    @strawberry.mutation(
        description="Delete a contact; its deals stay, without a contact.",
    )
    async def delete_contact(self, info: Info, id: strawberry.ID) -> DeletePayload:
        contact_id = parse_id(id)
        await info.context.write(
            lambda session, scope: contacts.delete_contact(
                session, scope=scope, contact_id=contact_id
            )
        )
        return DeletePayload(id=id)
