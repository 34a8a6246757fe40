"""Reads at the own and team level that reach rows through other rows, on the domain
functions and both graph adapters (SQL on PostgreSQL and SQLite, Neo4j after a rebuild):
a filter on a related table, the names the deal export joins in, an account's deal sum
below it, a customer journey's steps, and a stream's team read again after a user moved.
One rule for all of them: crmgraph.db.scoping's."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from crmgraph.config import Settings
from crmgraph.db import models
from crmgraph.db.engine import create_engine, create_session_factory
from crmgraph.db.filtering import Condition, Filter, Related, predicates
from crmgraph.db.migrate import upgrade
from crmgraph.db.scoping import LiveTeam, Scope, team_members, team_reads, visible
from crmgraph.domain.deal_export import export_deals
from crmgraph.domain.journey_reads import check_readable_subject, readable_steps
from crmgraph.errors import DomainError, ErrorCode
from crmgraph.graph.neo4j_store import Neo4jGraphStore
from crmgraph.graph.port import GraphStore
from crmgraph.graph.rebuild import rebuild
from crmgraph.graph.sql_store import SqlGraphStore
from tests.factories import make_pipeline

OWN = ("deals:read:own", "contacts:read:own", "accounts:read:own", "activities:read:own")
TEAM = ("deals:read:team", "contacts:read", "accounts:read", "activities:read:team")
TENANT_WIDE = ("deals:read", "contacts:read", "accounts:read", "activities:read")


@dataclass
class World:
    """ada and bob of team north, cy of south. ada's account "Ada Parent" has cy's child
    "Cy Child", which has ada's "Ada Grandchild"; deals: ada's 10 and bob's 1 on the parent,
    cy's 1000 on the child, ada's 5 ("ada on cy") on the child with cy's contact; a task of
    cy's and one of bob's about the parent."""

    tenant: str
    sessions: async_sessionmaker[AsyncSession]
    store: GraphStore
    ids: dict[str, uuid.UUID]

    def scope(self, *permissions: str) -> Scope:
        return Scope(tenant_id=self.tenant, user_id=self.ids["ada"], team="north",
                     permissions=frozenset(permissions))  # fmt: skip


async def write_world(
    sessions: async_sessionmaker[AsyncSession], tenant: str
) -> dict[str, uuid.UUID]:
    ids = {name: uuid.uuid4() for name in ("ada", "bob", "cy", "parent", "child", "grandchild",
                                           "contact")}  # fmt: skip
    async with sessions() as session, session.begin():
        for name, team in (("ada", "north"), ("bob", "north"), ("cy", "south")):
            session.add(models.User(id=ids[name], tenant_id=tenant, email=f"{name}@x.io",
                                    name=name, team=team))  # fmt: skip
        await session.flush()
        _, stages = await make_pipeline(session, Scope(tenant_id=tenant))
        stage = next(iter(stages.values()))
        for key, name, owner, parent in (
            ("parent", "Ada Parent", "ada", None),
            ("child", "Cy Child", "cy", "parent"),
            ("grandchild", "Ada Grandchild", "ada", "child"),
        ):
            session.add(models.Account(id=ids[key], tenant_id=tenant, name=name,
                                       owner_id=ids[owner],
                                       parent_account_id=parent and ids[parent]))  # fmt: skip
            await session.flush()
        session.add(models.Contact(id=ids["contact"], tenant_id=tenant, first_name="Cyrus",
                                   last_name="Hidden", owner_id=ids["cy"],
                                   account_id=ids["child"]))  # fmt: skip
        await session.flush()
        for title, value, owner, account, contact in (
            ("ada deal", 10, "ada", "parent", None), ("bob deal", 1, "bob", "parent", None),
            ("cy deal", 1000, "cy", "child", None), ("ada on cy", 5, "ada", "child", "contact"),
        ):  # fmt: skip
            session.add(models.Deal(tenant_id=tenant, title=title, value=Decimal(value),
                                    probability=10, pipeline_id=stage.pipeline_id,
                                    stage_id=stage.id, owner_id=ids[owner],
                                    account_id=ids[account],
                                    contact_id=contact and ids[contact]))  # fmt: skip
        for owner in ("cy", "bob"):
            session.add(models.Task(tenant_id=tenant, title=f"{owner} calls",
                                    assigned_to_id=ids[owner], related_type="ACCOUNT",
                                    related_id=ids["parent"]))  # fmt: skip
    return ids


@asynccontextmanager
async def opened(kind: str, pg_settings: Settings, tmp_path: Path) -> AsyncIterator[World]:
    """The world on kind's database (SQLite for sql-sqlite), its graph store kind's."""
    settings = pg_settings
    if kind == "sql-sqlite":
        settings = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path}/limited.db")
        await upgrade(settings)
    engine = create_engine(settings)
    sessions = create_session_factory(engine)
    tenant = f"t_limited_{uuid.uuid4().hex[:8]}"
    ids = await write_world(sessions, tenant)
    store: GraphStore = SqlGraphStore(engine)
    if kind == "neo4j":
        assert pg_settings.neo4j_uri
        store = Neo4jGraphStore(pg_settings.neo4j_uri, pg_settings.neo4j_user,
                                pg_settings.neo4j_password, sql=SqlGraphStore(engine))  # fmt: skip
        await rebuild(sessions, store, tenant=tenant)
    try:
        yield World(tenant, sessions, store, ids)
    finally:
        await store.close()
        await engine.dispose()


@pytest.fixture(params=["sql-postgresql", "sql-sqlite", "neo4j"])
async def world(
    request: pytest.FixtureRequest, pg_settings: Settings, tmp_path: Path
) -> AsyncIterator[World]:
    """Every graph adapter."""
    async with opened(request.param, pg_settings, tmp_path) as found:
        yield found


@pytest.fixture(params=["sql-postgresql", "sql-sqlite"])
async def tables(
    request: pytest.FixtureRequest, pg_settings: Settings, tmp_path: Path
) -> AsyncIterator[World]:
    """Both databases, for what reads the tables only."""
    async with opened(request.param, pg_settings, tmp_path) as found:
        yield found


@pytest.mark.parametrize(
    ("permissions", "total"), [(OWN, "15.00"), (TEAM, "16.00"), (TENANT_WIDE, "1016.00")]
)
async def test_the_deal_sum_below_an_account_counts_readable_deals(
    world: World, permissions: tuple[str, ...], total: str
) -> None:
    """Every adapter: own 10 + 5, the team's 1 more, the tenant's cy's 1000 too."""
    scope = world.scope(*permissions)
    async with world.sessions() as session:
        team = await team_members(session, scope)
    parent = world.ids["parent"]
    rolled = await world.store.deal_value_rollup(world.tenant, [parent],
                                                 include_descendants=True, reader=scope,
                                                 team=team)  # fmt: skip
    assert rolled == {parent: Decimal(total)}


@pytest.mark.parametrize(
    ("permissions", "seen"),
    [(OWN, {"deal opened: ada deal"}),
     (TEAM, {"deal opened: ada deal", "deal opened: bob deal", "task: bob calls"}),
     (TENANT_WIDE, {"deal opened: ada deal", "deal opened: bob deal", "task: bob calls",
                    "task: cy calls"})],
)  # fmt: skip
async def test_a_journey_keeps_the_steps_whose_rows_the_caller_reads(
    world: World, permissions: tuple[str, ...], seen: set[str]
) -> None:
    """Every adapter's steps pass the same filter; a contact the caller may not read has no
    journey for it."""
    scope = world.scope(*permissions)
    steps = await world.store.customer_journey(world.tenant, account_id=world.ids["parent"])
    async with world.sessions() as session:
        kept = await readable_steps(session, scope, steps)
        assert {step.summary for step in kept} == seen
        contact = world.ids["contact"]
        if permissions == OWN:
            with pytest.raises(DomainError) as refused:
                await check_readable_subject(session, scope, contact_id=contact, account_id=None)
            assert (refused.value.code, refused.value.field) == (ErrorCode.NOT_FOUND, "contactId")
        else:
            await check_readable_subject(session, scope, contact_id=contact, account_id=None)


async def titles_by(world: World, scope: Scope, spec: Filter) -> set[str]:
    stmt = visible(select(models.Deal.title), models.Deal, scope)
    async with world.sessions() as session:
        return set(await session.scalars(stmt.where(*predicates(models.Deal, spec, scope))))


# own deals, but contacts and accounts read tenant-wide
OWN_DEALS = ("deals:read:own", *TENANT_WIDE[1:])


@pytest.mark.parametrize(("permissions", "found"), [(OWN, set()), (OWN_DEALS, {"ada on cy"})])
async def test_a_related_filter_matches_only_readable_related_rows(
    tables: World, permissions: tuple[str, ...], found: set[str]
) -> None:
    """ada's own deal is on cy's account with cy's contact: at the own level, naming them
    in a filter matches nothing, so it cannot be used to guess their names."""
    scope = tables.scope(*permissions)
    by_account = Filter((Related("account", Filter((Condition("name", "eq", "Cy Child"),))),))
    by_contact = Filter((Related("contact", Filter((Condition("last_name", "eq", "Hidden"),))),))
    assert await titles_by(tables, scope, by_account) == found
    assert await titles_by(tables, scope, by_contact) == found


@pytest.mark.parametrize(
    ("permissions", "names"),
    [(OWN, (None, None)), (OWN_DEALS, ("Cyrus Hidden", "Cy Child"))],
)
async def test_the_export_names_only_readable_contacts_and_accounts(
    tables: World, permissions: tuple[str, ...], names: tuple[str | None, str | None]
) -> None:
    fields = ("title", "contact.name", "account.name")
    pages = export_deals(
        tables.sessions, scope=tables.scope(*permissions), spec=Filter(), fields=fields
    )
    rows = [row async for page in pages for row in page]
    assert sorted(rows) == sorted([("ada deal", None, "Ada Parent"), ("ada on cy", *names)])


async def test_a_live_team_is_read_again_after_its_interval(tables: World) -> None:
    scope = tables.scope(*TEAM)
    bob = tables.ids["bob"]
    every = LiveTeam(team_reads(tables.sessions), scope, every=3600)
    now = LiveTeam(team_reads(tables.sessions), scope, every=0)
    assert bob in await every.fresh() and bob in await now.fresh()
    async with tables.sessions() as session, session.begin():
        await session.execute(update(models.User).where(models.User.id == bob).values(team="x"))
    assert bob in await every.fresh()  # not yet due
    assert bob not in await now.fresh()
    assert set(await now.fresh()) == {tables.ids["ada"]}


async def test_streams_of_one_team_share_one_read_of_it(tables: World) -> None:
    # Each open subscription re-checks its team on its interval: 200 of them read it 100
    # times a second (a soak) until the process shared one read per team.
    opened: list[int] = []

    def counting_sessions() -> AsyncSession:
        opened.append(1)
        return tables.sessions()

    teams = team_reads(counting_sessions)
    streams = [LiveTeam(teams, tables.scope(*TEAM), every=3600) for _ in range(50)]
    found = await asyncio.gather(*(stream.fresh() for stream in streams))
    assert all(set(team) == {tables.ids["ada"], tables.ids["bob"]} for team in found)
    assert len(opened) == 1
    other = Scope(tenant_id=tables.tenant, user_id=tables.ids["cy"], team="south",
                  permissions=frozenset(TEAM))  # fmt: skip
    assert set(await LiveTeam(teams, other, every=3600).fresh()) == {tables.ids["cy"]}
    assert len(opened) == 2
