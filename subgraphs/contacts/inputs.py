"""Input types of the contacts subgraph: the inputs of its mutations and ContactSort
(ContactFilter, which the deals subgraph filters by too, is shared in
crmgraph.gql.entity_filters)."""

from __future__ import annotations

from enum import Enum

import strawberry
from strawberry.scalars import JSON

from crmgraph.domain import contacts
from crmgraph.gql.filters import SortDirection
from crmgraph.gql.ids import parse_id, parse_optional_id
from crmgraph.gql.inputs import given
from crmgraph.gql.shared_types import AddressInput, address_json, json_object


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


@strawberry.enum
class ContactSortField(Enum):
    CREATED_AT = "created_at"
    UPDATED_AT = "updated_at"
    FIRST_NAME = "first_name"
    LAST_NAME = "last_name"
    EMAIL = "email"
    COMPANY = "company"
    JOB_TITLE = "job_title"


@strawberry.input(description="Order of a contact list; the id breaks ties.")
class ContactSort:
    field: ContactSortField
    direction: SortDirection = SortDirection.ASC
