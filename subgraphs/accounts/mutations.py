"""Mutation fields of the accounts subgraph."""

from __future__ import annotations

import strawberry

from crmgraph.domain import accounts, lead_routing
from crmgraph.gql.context import Info
from crmgraph.gql.ids import parse_id
from crmgraph.gql.shared_types import DeletePayload
from subgraphs.accounts.inputs import (
    AccountRelationshipInput,
    CreateAccountInput,
    UpdateAccountInput,
)
from subgraphs.accounts.types import Account, AccountRelationship, User


@strawberry.type
class AccountPayload:
    account: Account


@strawberry.type
class AccountRelationshipPayload:
    relationship: AccountRelationship


@strawberry.type
class UserPayload:
    user: User


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

    @strawberry.mutation(description="Remove a link between two accounts.")
    async def delete_account_relationship(self, info: Info, id: strawberry.ID) -> DeletePayload:
        relationship_id = parse_id(id)
        await info.context.write(
            lambda session, scope: accounts.delete_account_relationship(
                session, scope=scope, relationship_id=relationship_id
            )
        )
        return DeletePayload(id=id)

    @strawberry.mutation(
        description="Replace a user's specializations (at most 10 short tags; each is kept "
        "lower case with underscores): what lead routing matches qualified leads with.",
    )
    async def set_user_specializations(
        self, info: Info, user_id: strawberry.ID, specializations: list[str]
    ) -> UserPayload:
        id_ = parse_id(user_id, field="userId")
        row = await info.context.write(
            lambda session, scope: lead_routing.set_specializations(
                session, scope=scope, user_id=id_, specializations=specializations
            )
        )
        return UserPayload(user=User.from_row(row))
