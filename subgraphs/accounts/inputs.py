"""Input types of the accounts subgraph: the inputs of its mutations and AccountSort
(AccountFilter, which the deals subgraph filters by too, is shared in
crmgraph.gql.entity_filters)."""

from __future__ import annotations

from enum import Enum

import strawberry
from strawberry.scalars import JSON

from crmgraph.domain import accounts
from crmgraph.gql.entity_filters import AccountType
from crmgraph.gql.filters import SortDirection
from crmgraph.gql.ids import parse_id, parse_optional_id
from crmgraph.gql.inputs import given
from crmgraph.gql.shared_types import AddressInput, address_json, json_object


@strawberry.input
class CreateAccountInput:
    name: str
    website: str | None = None
    industry: str | None = None
    employees: int | None = None
    annual_revenue: float | None = None
    type: AccountType = AccountType.PROSPECT
    parent_account_id: strawberry.ID | None = None
    address: AddressInput | None = None
    custom_fields: JSON | None = None

    def to_domain(self) -> accounts.NewAccount:
        return accounts.NewAccount(
            name=self.name,
            website=self.website,
            industry=self.industry,
            employees=self.employees,
            annual_revenue=self.annual_revenue,
            type=self.type.value,
            parent_account_id=parse_optional_id(self.parent_account_id, field="parentAccountId"),
            address=address_json(self.address),
            custom_fields=json_object(self.custom_fields, field="customFields"),
        )


@strawberry.input(description="Only the fields given change; null clears an optional field.")
class UpdateAccountInput:
    name: str | None = strawberry.UNSET
    website: str | None = strawberry.UNSET
    industry: str | None = strawberry.UNSET
    employees: int | None = strawberry.UNSET
    annual_revenue: float | None = strawberry.UNSET
    type: AccountType | None = strawberry.UNSET
    parent_account_id: strawberry.ID | None = strawberry.UNSET
    address: AddressInput | None = strawberry.UNSET
    custom_fields: JSON | None = strawberry.UNSET

    def to_domain(self) -> accounts.AccountChanges:
        return given(
            self,
            accounts.AccountChanges,
            type=lambda v: v.value,
            parent_account_id=lambda v: parse_id(v, field="parentAccountId"),
            address=address_json,
            custom_fields=lambda v: json_object(v, field="customFields"),
        )


@strawberry.input
class AccountRelationshipInput:
    account_id: strawberry.ID
    related_account_id: strawberry.ID
    relationship_type: str = strawberry.field(
        description="PARENT, SUBSIDIARY, PARTNER, RESELLER, VENDOR, CUSTOMER, COMPETITOR or OTHER."
    )
    description: str | None = None

    def to_domain(self) -> accounts.NewRelationship:
        return accounts.NewRelationship(
            account_id=parse_id(self.account_id, field="accountId"),
            related_account_id=parse_id(self.related_account_id, field="relatedAccountId"),
            relationship_type=self.relationship_type.strip().upper(),
            description=self.description,
        )


@strawberry.enum
class AccountSortField(Enum):
    CREATED_AT = "created_at"
    UPDATED_AT = "updated_at"
    NAME = "name"
    INDUSTRY = "industry"
    TYPE = "type"
    EMPLOYEES = "employees"
    ANNUAL_REVENUE = "annual_revenue"


@strawberry.input(description="Order of an account list; the id breaks ties.")
class AccountSort:
    field: AccountSortField
    direction: SortDirection = SortDirection.ASC
