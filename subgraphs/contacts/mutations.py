"""Mutation fields of the contacts subgraph."""

from __future__ import annotations

import strawberry

from crmgraph.domain import contacts
from crmgraph.gql.context import Info
from crmgraph.gql.ids import parse_id
from crmgraph.gql.shared_types import DeletePayload
from subgraphs.contacts.inputs import CreateContactInput, UpdateContactInput
from subgraphs.contacts.types import Contact


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
