"""Mutation fields of the accounts subgraph."""

from __future__ import annotations

import strawberry
from strawberry.scalars import JSON

from crmgraph.domain import accounts
from crmgraph.gql.context import Info
from crmgraph.gql.ids import parse_optional_id
from crmgraph.gql.shared_types import AddressInput, address_json, json_object
from subgraphs.accounts.types import Account, AccountType


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


@strawberry.type
class AccountPayload:
    account: Account


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Create an account, optionally below a parent account.")
    async def create_account(self, info: Info, input: CreateAccountInput) -> AccountPayload:
        data = input.to_domain()
        row = await info.context.write(
            lambda session, scope: accounts.create_account(session, scope=scope, data=data)
        )
        return AccountPayload(account=Account.from_row(row))
