"""`crmgraph graph rebuild [--tenant T]`: write the graph projection afresh from PostgreSQL.

It writes what the outbox consumer writes (crmgraph.graph.nodes' nodes, through the same
GraphStore.project), in batches of BATCH rows read in id order: first every node, then, in a
second pass, every node's links and the account relationships (so a link's target exists
whatever order the rows come in). MERGE and the version rule make it idempotent and safe
beside the running consumer: a row changed meanwhile keeps its newer state. Nodes of rows
deleted while events were lost cannot exist (the outbox never drops one), so it removes none.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, fields
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from crmgraph.db import models
from crmgraph.db.models import TenantRow
from crmgraph.db.scoping import scoped
from crmgraph.events import states
from crmgraph.graph import nodes
from crmgraph.graph.model import Changes, Node, Relationship
from crmgraph.graph.port import GraphStore

BATCH = 500
R = TypeVar("R", bound=TenantRow)
# (what, done, total): called after every batch.
Progress = Callable[[str, int, int], None]


def _state(cls: type[Any], row: TenantRow) -> Any:
    return cls(**{f.name: getattr(row, f.name) for f in fields(cls)})


def _user(row: models.User) -> Node:
    return nodes.user(row.tenant_id, row.id, row.name, row.email, row.updated_at)


# What is projected of each table, in the order written.
SOURCES: list[tuple[str, type[TenantRow], Callable[[Any], Node | Relationship]]] = [
    ("users", models.User, _user),
    ("accounts", models.Account, lambda r: nodes.account(_state(states.AccountState, r))),
    ("contacts", models.Contact, lambda r: nodes.contact(_state(states.ContactState, r))),
    ("leads", models.Lead, lambda r: nodes.lead(_state(states.LeadState, r))),
    ("deals", models.Deal, lambda r: nodes.deal(_state(states.DealState, r))),
    ("campaigns", models.Campaign, lambda r: nodes.campaign(_state(states.CampaignState, r))),
    ("touchpoints", models.Touchpoint,
     lambda r: nodes.touchpoint(_state(states.TouchpointState, r))),
    ("pipelines", models.Pipeline, lambda r: nodes.pipeline(_state(states.PipelineState, r))),
    ("stages", models.PipelineStage,
     lambda r: nodes.stage(_state(states.PipelineStageState, r))),
    ("stage moves", models.DealStageChange,
     lambda r: nodes.stage_move(_state(states.DealStageChangeState, r))),
    ("tasks", models.Task, lambda r: nodes.activity(_state(states.TaskState, r))),
    ("events", models.Event, lambda r: nodes.activity(_state(states.EventState, r))),
    ("communications", models.Communication,
     lambda r: nodes.activity(_state(states.CommunicationState, r))),
    ("relationships", models.AccountRelationship,
     lambda r: nodes.relationship(_state(states.AccountRelationshipState, r))),
]  # fmt: skip
# Which rows of a table are projected (all unless named): a deal's first stage is no move
# (its history row has no from-stage), and deal.stage_changed events carry only moves.
WHERE: dict[type[TenantRow], ColumnElement[bool]] = {
    models.DealStageChange: models.DealStageChange.from_stage_id.is_not(None),
}


@dataclass(frozen=True)
class Rebuilt:
    rows: int
    batches: int


async def _batches(
    sessions: async_sessionmaker[AsyncSession], table: type[R], tenant: str | None
) -> AsyncIterator[list[R]]:
    last = None
    while True:
        stmt = select(table).order_by(table.id).limit(BATCH)
        if table in WHERE:
            stmt = stmt.where(WHERE[table])
        if tenant is not None:
            stmt = scoped(stmt, table, tenant)
        if last is not None:
            stmt = stmt.where(table.id > last)
        async with sessions() as session:
            rows = list(await session.scalars(stmt))
        if not rows:
            return
        yield rows
        last = rows[-1].id


async def _count(sessions: async_sessionmaker[AsyncSession], table: type[TenantRow],
                 tenant: str | None) -> int:  # fmt: skip
    stmt = select(func.count()).select_from(table)
    if table in WHERE:
        stmt = stmt.where(WHERE[table])
    if tenant is not None:
        stmt = scoped(stmt, table, tenant)
    async with sessions() as session:
        return int(await session.scalar(stmt) or 0)


async def rebuild(
    sessions: async_sessionmaker[AsyncSession],
    graph: GraphStore,
    *,
    tenant: str | None = None,
    progress: Progress | None = None,
) -> Rebuilt:
    rows = batches = 0
    for links in (False, True):
        for what, table, convert in SOURCES:
            if table is models.AccountRelationship and not links:
                continue  # edges between nodes: the second pass
            total, done = await _count(sessions, table, tenant), 0
            async for batch in _batches(sessions, table, tenant):
                made = [convert(row) for row in batch]
                changes = Changes(
                    nodes=[m for m in made if isinstance(m, Node)],
                    relationships=[m for m in made if isinstance(m, Relationship)],
                )
                await graph.project(changes, links=links)
                done += len(batch)
                batches += 1
                if links:
                    rows += len(batch)
                if progress is not None:
                    progress(f"{what} ({'links' if links else 'nodes'})", done, total)
    return Rebuilt(rows, batches)
