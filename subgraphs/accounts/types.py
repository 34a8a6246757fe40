"""GraphQL types of the accounts subgraph."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import strawberry
from strawberry.scalars import JSON

from crmgraph.db import models
from crmgraph.gql.context import Info
from crmgraph.gql.entities import by_ids
from crmgraph.gql.entity_filters import AccountType
from crmgraph.gql.ids import parse_id
from crmgraph.gql.shared_types import Address, json_out


@strawberry.federation.type(keys=["id"], description="A customer company.")
class Account:
    id: strawberry.ID
    name: str
    website: str | None
    industry: str | None
    employees: int | None
    annual_revenue: float | None
    type: AccountType
    address: Address | None
    custom_fields: JSON | None
    created_at: datetime
    updated_at: datetime
    parent_account_id: strawberry.Private[UUID | None]

    @classmethod
    def from_row(cls, row: models.Account) -> Account:
        return cls(
            id=strawberry.ID(str(row.id)),
            name=row.name,
            website=row.website,
            industry=row.industry,
            employees=row.employees,
            annual_revenue=None if row.annual_revenue is None else float(row.annual_revenue),
            type=AccountType(row.type),
            address=Address.from_json(row.address),
            custom_fields=json_out(row.custom_fields),
            created_at=row.created_at,
            updated_at=row.updated_at,
            parent_account_id=row.parent_account_id,
        )

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Account | None:
        row = await info.context.loaders.account_by_id.load(parse_id(id))
        return None if row is None else cls.from_row(row)

    @classmethod
    async def resolve_references(cls, info: Info, ids: list[Any]) -> list[Account | None]:
        return await by_ids(info.context.loaders.account_by_id, ids, cls.from_row)

    @strawberry.field(description="The account this one belongs to, if any.")
    async def parent_account(self, info: Info) -> Account | None:
        if self.parent_account_id is None:
            return None
        row = await info.context.loaders.account_by_id.load(self.parent_account_id)
        return None if row is None else Account.from_row(row)

    @strawberry.field(
        description="The first 20 accounts directly below this one, by name; "
        "accounts(filter: {parentAccountId: {eq: ...}}) pages through all of them."
    )
    async def child_accounts(self, info: Info) -> list[Account]:
        rows = await info.context.loaders.child_accounts_by_parent.load(parse_id(self.id))
        return [Account.from_row(row) for row in rows]


@strawberry.federation.type(keys=["id"], description="A member of the tenant's staff.")
class User:
    id: strawberry.ID
    email: str
    name: str
    role: str
    team: str | None

    @classmethod
    def from_row(cls, row: models.User) -> User:
        return cls(
            id=strawberry.ID(str(row.id)),
            email=row.email,
            name=row.name,
            role=row.role,
            team=row.team,
        )

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> User | None:
        row = await info.context.loaders.user_by_id.load(parse_id(id))
        return None if row is None else cls.from_row(row)

    @classmethod
    async def resolve_references(cls, info: Info, ids: list[Any]) -> list[User | None]:
        return await by_ids(info.context.loaders.user_by_id, ids, cls.from_row)


@strawberry.type(description="A typed link between two accounts (subsidiary, partner, ...).")
class AccountRelationship:
    id: strawberry.ID
    relationship_type: str
    description: str | None
    created_at: datetime
    account_id: strawberry.Private[UUID]
    related_account_id: strawberry.Private[UUID]

    @classmethod
    def from_row(cls, row: models.AccountRelationship) -> AccountRelationship:
        return cls(
            id=strawberry.ID(str(row.id)),
            relationship_type=row.relationship_type,
            description=row.description,
            created_at=row.created_at,
            account_id=row.account_id,
            related_account_id=row.related_account_id,
        )

    @strawberry.field
    async def account(self, info: Info) -> Account | None:
        row = await info.context.loaders.account_by_id.load(self.account_id)
        return None if row is None else Account.from_row(row)

    @strawberry.field
    async def related_account(self, info: Info) -> Account | None:
        row = await info.context.loaders.account_by_id.load(self.related_account_id)
        return None if row is None else Account.from_row(row)
