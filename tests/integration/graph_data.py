"""An account hierarchy written through the domain functions, for the graph tests.

A chain root -> a1 -> ... -> a8 (depth 8) with a leaf beside each chain account (b1 child
of root, b2 child of a1, ...: branching at every level), three account relationships, a
contact at a8 and deals: ACTIVE 100.10 at a8, ACTIVE 200.25 at a4, ACTIVE 0.05 at b3 and a
WON 999.99 at a2 (not counted: rollups count ACTIVE deals).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from crmgraph.db.scoping import Scope
from crmgraph.domain import accounts, contacts, deals, pipelines

DEPTH = 8


@dataclass
class Tree:
    tenant: str
    chain: list[UUID] = field(default_factory=list)  # chain[0] is the root, chain[8] the deepest
    leaves: list[UUID] = field(default_factory=list)  # leaves[k] is a child of chain[k]
    relationships: dict[str, tuple[UUID, UUID]] = field(default_factory=dict)
    contact: UUID | None = None

    @property
    def all(self) -> list[UUID]:
        return [*self.chain, *self.leaves]


async def write_tree(sessions: async_sessionmaker[AsyncSession], tenant: str) -> Tree:
    scope = Scope(tenant_id=tenant, kind="system")
    tree = Tree(tenant)
    async with sessions() as session, session.begin():
        stages = (
            pipelines.NewStage(name="Open", order=1, probability=10),
            pipelines.NewStage(name="Won", order=2, probability=100),
        )
        sales = pipelines.NewPipeline(name="Sales", stages=stages)
        await pipelines.create_pipeline(session, scope=scope, data=sales)
        parent = None
        for depth in range(DEPTH + 1):
            account = await accounts.create_account(session, scope=scope, data=accounts.NewAccount(
                name=f"a{depth}", parent_account_id=parent))  # fmt: skip
            tree.chain.append(account.id)
            if parent is not None:
                leaf = await accounts.create_account(session, scope=scope, data=accounts.NewAccount(
                    name=f"b{depth}", parent_account_id=parent))  # fmt: skip
                tree.leaves.append(leaf.id)
            parent = account.id
        for kind, (a, b) in {"PARTNER": (tree.chain[0], tree.chain[5]),
                             "VENDOR": (tree.leaves[2], tree.chain[0]),
                             "RESELLER": (tree.chain[5], tree.leaves[7])}.items():  # fmt: skip
            rel = await accounts.create_account_relationship(session, scope=scope,
                data=accounts.NewRelationship(account_id=a, related_account_id=b,
                                              relationship_type=kind))  # fmt: skip
            tree.relationships[kind] = (a, b)
            assert rel.id is not None
        contact = await contacts.create_contact(session, scope=scope, data=contacts.NewContact(
            first_name="Ada", last_name="Deep", account_id=tree.chain[8]))  # fmt: skip
        tree.contact = contact.id
        for title, value, at, stage in (("deep", "100.10", tree.chain[8], None),
                                        ("mid", "200.25", tree.chain[4], None),
                                        ("leaf", "0.05", tree.leaves[3], None),
                                        ("won", "999.99", tree.chain[2], "Won")):  # fmt: skip
            await deals.create_deal(session, scope=scope, data=deals.NewDeal(
                title=title, value=Decimal(value), account_id=at, stage=stage,
                contact_id=contact.id if at == tree.chain[8] else None))  # fmt: skip
    return tree
