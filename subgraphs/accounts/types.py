"""GraphQL types of the accounts subgraph."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Any, TypeVar
from uuid import UUID

import strawberry
from strawberry.scalars import JSON

from crmgraph.db import models
from crmgraph.domain import bounds
from crmgraph.gql.context import Info
from crmgraph.gql.entities import by_ids
from crmgraph.gql.entity_filters import AccountType
from crmgraph.gql.ids import parse_id
from crmgraph.gql.shared_types import Address, json_out
from crmgraph.graph.port import Ranked, Related

T = TypeVar("T")


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
        )

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Account | None:
        row = await info.context.loaders.account_by_id.load(parse_id(id))
        return None if row is None else cls.from_row(row)

    @classmethod
    async def resolve_references(cls, info: Info, ids: list[Any]) -> list[Account | None]:
        return await by_ids(info.context.loaders.account_by_id, ids, cls.from_row)

    @strawberry.field(description="The account this one belongs to, if any (as hierarchy.parent).")
    async def parent_account(self, info: Info) -> Account | None:
        return await _parent(info, parse_id(self.id))

    @strawberry.field(
        description="The first 20 accounts directly below this one, by name (as "
        "hierarchy.children); accounts(filter: {parentAccountId: {eq: ...}}) pages through "
        "all of them."
    )
    async def child_accounts(self, info: Info) -> list[Account]:
        return await _children(info, parse_id(self.id))

    @strawberry.field(
        description="Where the account stands in its hierarchy, from the graph store (Neo4j "
        "in full mode): parent, children and ancestors and descendants to any depth."
    )
    def hierarchy(self) -> AccountHierarchy:
        return AccountHierarchy(account_id=parse_id(self.id))

    @strawberry.field(
        description="The account's typed links to other accounts, either way round, from the "
        "graph store (Neo4j in full mode): the first 100 by relationship id."
    )
    async def relationships(self, info: Info) -> list[AccountLink]:
        return await _links(info, parse_id(self.id))


async def _accounts(info: Info, ids: list[UUID]) -> list[Account]:
    rows = await info.context.loaders.account_by_id.load_many(ids)
    return [Account.from_row(row) for row in rows if row is not None]


# Parent and children from the graph store, one statement per request level for all the
# accounts it shows (crmgraph.graph.read_your_writes picks Neo4j or SQL).
async def _parent(info: Info, account_id: UUID) -> Account | None:
    parent = await info.context.graph_loaders.parent.load(account_id)
    return None if parent is None else next(iter(await _accounts(info, [parent])), None)


async def _children(info: Info, account_id: UUID) -> list[Account]:
    found = await _accounts(info, await info.context.graph_loaders.children.load(account_id))
    return sorted(found, key=lambda a: (a.name, a.id))[: bounds.CHILD_ACCOUNTS]


@strawberry.type(description="An account at a distance in a hierarchy: depth 1 is next to it.")
class HierarchyMember:
    account: Account
    depth: int


@strawberry.type(description="An account's place in its hierarchy (the GraphStore's answer).")
class AccountHierarchy:
    account_id: strawberry.Private[UUID]

    @strawberry.field(description="The account directly above, if any.")
    async def parent(self, info: Info) -> Account | None:
        return await _parent(info, self.account_id)

    @strawberry.field(description="The first 20 accounts directly below, by name.")
    async def children(self, info: Info) -> list[Account]:
        return await _children(info, self.account_id)

    @strawberry.field(description="Parent, its parent, ... up to the root (at most 100).")
    async def ancestors(self, info: Info) -> list[HierarchyMember]:
        return await _members(
            info, await info.context.graph_loaders.ancestors.load(self.account_id)
        )

    @strawberry.field(
        description="Children, their children, ... to any depth: the nearest 100, by depth."
    )
    async def descendants(self, info: Info) -> list[HierarchyMember]:
        found = await info.context.graph_loaders.descendants.load(self.account_id)
        return await _members(info, found)

    @strawberry.field(description="Typed links to other accounts (as Account.relationships).")
    async def relationships(self, info: Info) -> list[AccountLink]:
        return await _links(info, self.account_id)


@strawberry.enum(description="Which way a relationship points, seen from the account asked.")
class RelationshipDirection(Enum):
    OUTGOING = "OUTGOING"  # the account is its subject: (account)-[type]->(other)
    INCOMING = "INCOMING"  # the other account is: (other)-[type]->(account)


@strawberry.type(description="An account relationship seen from one of its two accounts.")
class AccountLink:
    id: strawberry.ID = strawberry.field(description="The relationship's id.")
    relationship_type: str
    direction: RelationshipDirection
    account: Account = strawberry.field(description="The account at the other end.")


async def _links(info: Info, account_id: UUID) -> list[AccountLink]:
    found: list[Related] = await info.context.graph_loaders.relationships.load(account_id)
    others = [r.related_account_id if r.account_id == account_id else r.account_id
              for r in found]  # fmt: skip
    kept = await _readable(info, list(zip(found, others, strict=True)),
                           bounds.ACCOUNT_RELATIONSHIPS)  # fmt: skip
    return [AccountLink(id=strawberry.ID(str(r.id)), relationship_type=r.type,
                        direction=RelationshipDirection.OUTGOING if r.account_id == account_id
                        else RelationshipDirection.INCOMING, account=Account.from_row(row))
            for r, row in kept]  # fmt: skip


async def _members(info: Info, ranked: list[Ranked]) -> list[HierarchyMember]:
    pairs = [(r, r.account_id) for r in ranked]
    kept = await _readable(info, pairs, bounds.HIERARCHY_MEMBERS)
    return [HierarchyMember(account=Account.from_row(row), depth=r.depth) for r, row in kept]


async def _readable(
    info: Info, found: list[tuple[T, UUID]], limit: int
) -> list[tuple[T, models.Account]]:
    """The first `limit` of found whose account the caller may read (the account loader
    leaves out the others), with it. Read a window of `limit` at a time: a caller reading
    accounts at the own level, whose first hundred relatives are others', still gets its
    own further down; a caller reading them all needs only the first window."""
    kept: list[tuple[T, models.Account]] = []
    for start in range(0, len(found), limit):
        window = found[start : start + limit]
        rows = await info.context.loaders.account_by_id.load_many([i for _, i in window])
        kept += [(item, row) for (item, _), row in zip(window, rows, strict=True)
                 if row is not None]  # fmt: skip
        if len(kept) >= limit:
            break
    return kept[:limit]


@strawberry.federation.type(keys=["id"], description="A member of the tenant's staff.")
class User:
    id: strawberry.ID
    email: str
    name: str
    role: str
    team: str | None
    specializations: list[str] = strawberry.field(
        description="Short tags (cloud_migration, enterprise_sales, an industry) a qualified "
        "lead's facts are matched with when it is routed to a sales rep."
    )

    @classmethod
    def from_row(cls, row: models.User) -> User:
        return cls(
            id=strawberry.ID(str(row.id)),
            email=row.email,
            name=row.name,
            role=row.role,
            team=row.team,
            specializations=list(row.specializations or ())[: bounds.SPECIALIZATIONS],
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
