"""Mutation fields of the accounts subgraph."""

from __future__ import annotations

import strawberry
from strawberry.scalars import JSON

from crmgraph.domain import accounts
from crmgraph.gql.context import Info
from crmgraph.gql.entity_filters import AccountType
from crmgraph.gql.ids import parse_id, parse_optional_id
from crmgraph.gql.inputs import given
from crmgraph.gql.shared_types import AddressInput, DeletePayload, address_json, json_object
from subgraphs.accounts.types import Account, AccountRelationship


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


@strawberry.type
class AccountPayload:
    account: Account


@strawberry.type
class AccountRelationshipPayload:
    relationship: AccountRelationship


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="Create an account, optionally below a parent account.",
    )
    async def create_account(self, info: Info, input: CreateAccountInput) -> AccountPayload:
        data = input.to_domain()
        row = await info.context.write(
            lambda session, scope: accounts.create_account(session, scope=scope, data=data)
        )
        return AccountPayload(account=Account.from_row(row))

    @strawberry.mutation(
        description="Change some fields of an account.",
    )
    async def update_account(
        self, info: Info, id: strawberry.ID, input: UpdateAccountInput
    ) -> AccountPayload:
        account_id, changes = parse_id(id), input.to_domain()
        row = await info.context.write(
            lambda session, scope: accounts.update_account(
                session, scope=scope, account_id=account_id, changes=changes
            )
        )
        return AccountPayload(account=Account.from_row(row))

    @strawberry.mutation(
        description="Delete an account; its contacts and deals stay, unlinked.",
    )
    async def delete_account(self, info: Info, id: strawberry.ID) -> DeletePayload:
        account_id = parse_id(id)
        await info.context.write(
            lambda session, scope: accounts.delete_account(
                session, scope=scope, account_id=account_id
            )
        )
        return DeletePayload(id=id)

    @strawberry.mutation(
        description="Link two accounts (subsidiary, partner, ...).",
    )
    async def create_account_relationship(
        self, info: Info, input: AccountRelationshipInput
    ) -> AccountRelationshipPayload:
        data = input.to_domain()
        row = await info.context.write(
            lambda session, scope: accounts.create_account_relationship(
                session, scope=scope, data=data
            )
        )
        return AccountRelationshipPayload(relationship=AccountRelationship.from_row(row))
