"""The GraphStore contract: one suite, every adapter. The data is written through the domain
functions; the SQL adapter reads it where it lies (PostgreSQL, SQLite), the Neo4j adapter
after `crmgraph graph rebuild`'s code has projected it. A second tenant with the same shape
is there for every question and must never show. Journeys of both adapters are the same
journeys: the Neo4j adapter's equal the SQL adapter's on the same PostgreSQL data, revenue
journeys and customer journeys (touchpoints, activities, deals, stage moves) alike."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest

from crmgraph.config import Settings
from crmgraph.db.engine import create_engine, create_session_factory
from crmgraph.db.migrate import upgrade
from crmgraph.domain.customer_journey import JourneyStep, StepKind
from crmgraph.errors import DomainError
from crmgraph.graph.neo4j_store import Neo4jGraphStore
from crmgraph.graph.port import GraphStore, Ranked, Related
from crmgraph.graph.rebuild import rebuild
from crmgraph.graph.sql_store import SqlGraphStore
from crmgraph.rest.metrics import REGISTRY
from tests.integration.customer_journey_data import Steps, write_steps
from tests.integration.graph_data import DEPTH, Tree, write_tree
from tests.integration.journey_data import Journeys, write_journeys
from tests.integration.test_marketing_journeys import DAY, NOW


@dataclass
class Case:
    store: GraphStore
    tree: Tree
    other: Tree
    journeys: Journeys
    their_journeys: Journeys
    steps: Steps
    their_steps: Steps
    # The SQL adapter on the same database: what every adapter must answer.
    reference: SqlGraphStore


def _tenant() -> str:
    return f"t_{uuid.uuid4().hex[:12]}"


@pytest.fixture(params=["sql-postgresql", "sql-sqlite", "neo4j"])
async def case(
    request: pytest.FixtureRequest, pg_settings: Settings, tmp_path: Path
) -> AsyncIterator[Case]:
    settings = pg_settings
    if request.param == "sql-sqlite":
        settings = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path}/graph.db")
        await upgrade(settings)
    engine = create_engine(settings)
    sessions = create_session_factory(engine)
    tree, other = await write_tree(sessions, _tenant()), await write_tree(sessions, _tenant())
    # Tenants of their own: conversion picks a tenant's first pipeline, the tree has one.
    journeys, theirs = await write_journeys(sessions, _tenant()), await write_journeys(
        sessions, _tenant())  # fmt: skip
    steps, their_steps = await write_steps(sessions, journeys), await write_steps(sessions, theirs)
    store: GraphStore
    if request.param == "neo4j":
        assert pg_settings.neo4j_uri
        store = Neo4jGraphStore(pg_settings.neo4j_uri, pg_settings.neo4j_user,
                                pg_settings.neo4j_password, sql=SqlGraphStore(engine))  # fmt: skip
        for tenant in (tree.tenant, other.tenant, journeys.tenant, theirs.tenant):
            await rebuild(sessions, store, tenant=tenant)
    else:
        store = SqlGraphStore(engine)
    yield Case(store, tree, other, journeys, theirs, steps, their_steps, SqlGraphStore(engine))
    await store.close()
    await engine.dispose()


async def test_parents_and_children(case: Case) -> None:
    t = case.tree
    parents = await case.store.parents(t.tenant, t.all)
    assert parents[t.chain[0]] is None
    assert all(parents[t.chain[d]] == t.chain[d - 1] for d in range(1, DEPTH + 1))
    assert all(parents[leaf] == t.chain[k] for k, leaf in enumerate(t.leaves))
    children = await case.store.children(t.tenant, t.chain)
    for d in range(DEPTH):
        assert children[t.chain[d]] == sorted([t.chain[d + 1], t.leaves[d]], key=str)
    assert children[t.chain[DEPTH]] == []


async def test_ancestors_reach_the_root_with_depths(case: Case) -> None:
    t = case.tree
    found = await case.store.ancestors(t.tenant, [t.chain[DEPTH], t.leaves[3], t.chain[0]])
    assert found[t.chain[DEPTH]] == [Ranked(d, t.chain[DEPTH - d]) for d in range(1, DEPTH + 1)]
    assert found[t.leaves[3]] == [Ranked(1, t.chain[3]), Ranked(2, t.chain[2]),
                                  Ranked(3, t.chain[1]), Ranked(4, t.chain[0])]  # fmt: skip
    assert found[t.chain[0]] == []


async def test_descendants_to_any_depth_with_depths(case: Case) -> None:
    t = case.tree
    found = await case.store.descendants(t.tenant, [t.chain[0], t.chain[6], t.leaves[0]])
    expected = [Ranked(d, t.chain[d]) for d in range(1, DEPTH + 1)]
    expected += [Ranked(k + 1, leaf) for k, leaf in enumerate(t.leaves)]
    assert found[t.chain[0]] == sorted(expected, key=lambda r: (r.depth, str(r.account_id)))
    assert len(found[t.chain[0]]) == 2 * DEPTH
    assert found[t.chain[6]] == sorted([Ranked(1, t.chain[7]), Ranked(1, t.leaves[6]),
                                        Ranked(2, t.chain[8]), Ranked(2, t.leaves[7])],
                                       key=lambda r: (r.depth, str(r.account_id)))  # fmt: skip
    assert found[t.leaves[0]] == []


async def test_relationships_with_their_types(case: Case) -> None:
    t = case.tree
    root, mid = t.chain[0], t.chain[5]
    found = await case.store.relationships(t.tenant, [root, mid, t.chain[1]])
    assert {(r.account_id, r.related_account_id, r.type) for r in found[root]} == {
        (root, mid, "PARTNER"), (t.leaves[2], root, "VENDOR")}  # fmt: skip
    assert {(r.account_id, r.related_account_id, r.type) for r in found[mid]} == {
        (root, mid, "PARTNER"), (mid, t.leaves[7], "RESELLER")}  # fmt: skip
    assert found[t.chain[1]] == []
    assert all(isinstance(r, Related) for r in found[root])


async def test_cycle_detection(case: Case) -> None:
    t = case.tree
    store = case.store
    assert await store.would_create_cycle(t.tenant, t.chain[0], t.chain[DEPTH])
    assert await store.would_create_cycle(t.tenant, t.chain[2], t.leaves[5])
    assert await store.would_create_cycle(t.tenant, t.chain[3], t.chain[3])
    assert not await store.would_create_cycle(t.tenant, t.chain[DEPTH], t.chain[0])
    assert not await store.would_create_cycle(t.tenant, t.chain[5], t.leaves[2])
    assert not await store.would_create_cycle(t.tenant, t.leaves[1], t.leaves[6])


async def test_deal_value_rolls_up_over_descendants(case: Case) -> None:
    t = case.tree
    ids = [t.chain[0], t.chain[4], t.chain[5], t.chain[DEPTH], t.leaves[0]]
    rolled = await case.store.deal_value_rollup(t.tenant, ids, include_descendants=True)
    assert rolled == {t.chain[0]: Decimal("300.40"), t.chain[4]: Decimal("300.35"),
                      t.chain[5]: Decimal("100.10"), t.chain[DEPTH]: Decimal("100.10"),
                      t.leaves[0]: Decimal("0.00")}  # fmt: skip
    twice = await case.store.deal_value_rollup(t.tenant, ids + ids, include_descendants=True)
    assert twice == rolled  # an id asked twice in one batch is counted once
    own = await case.store.deal_value_rollup(t.tenant, ids, include_descendants=False)
    assert own == {t.chain[0]: Decimal("0.00"), t.chain[4]: Decimal("200.25"),
                   t.chain[5]: Decimal("0.00"), t.chain[DEPTH]: Decimal("100.10"),
                   t.leaves[0]: Decimal("0.00")}  # fmt: skip


async def test_another_tenants_accounts_never_show(case: Case) -> None:
    t, o = case.tree, case.other
    store = case.store
    mine = set(t.all)
    assert await store.parents(t.tenant, o.all) == {}
    assert await store.children(t.tenant, o.chain) == {i: [] for i in o.chain}
    assert await store.ancestors(t.tenant, o.all) == {i: [] for i in o.all}
    assert await store.descendants(t.tenant, o.all) == {i: [] for i in o.all}
    assert await store.relationships(t.tenant, o.all) == {i: [] for i in o.all}
    assert not await store.would_create_cycle(t.tenant, o.chain[0], o.chain[DEPTH])
    zero = Decimal("0.00")
    assert await store.deal_value_rollup(t.tenant, o.chain, include_descendants=True) == {
        i: zero for i in o.chain}  # fmt: skip
    below = await store.descendants(t.tenant, [t.chain[0]])
    assert {r.account_id for r in below[t.chain[0]]} <= mine
    theirs = await store.descendants(o.tenant, [o.chain[0]])
    assert (
        len(theirs[o.chain[0]]) == 2 * DEPTH
        and not {r.account_id for r in theirs[o.chain[0]]} & mine
    )


def _utc(at: datetime | None) -> datetime | None:
    """SQLite's times come without their zone (UTC): compared as instants."""
    return at if at is None or at.tzinfo else at.replace(tzinfo=NOW.tzinfo)


async def test_revenue_journeys_follow_leads_to_closed_deals(case: Case) -> None:
    t, w = case.journeys, case.journeys.world
    start, end = NOW - 30 * DAY, NOW + DAY

    journeys = await case.store.revenue_journeys(t.tenant, start, end)

    # The lost deal closed at NOW, the won ones when they were moved (after NOW).
    assert [j.id for j in journeys] == [str(w.lost), str(w.won), str(t.detached)]
    lost, won, detached = journeys
    touch = {name: str(key) for name, key in w.touches.items()}
    tagged = str(case.journeys.campaign_touch)
    assert [x.id for x in won.touchpoints] == [touch["t1"], tagged, touch["t2"], touch["t3"]]
    assert [x.campaign_id for x in won.touchpoints] == [None, str(case.journeys.campaign),
                                                        None, None]  # fmt: skip
    assert won.touchpoints[1].channel == "email" and won.touchpoints[0].utm_medium == "cpc"
    assert won.converted and won.revenue == Decimal("1000.00") and won.deal_id == str(w.won)
    assert won.lead_id == str(w.lead) and won.qualified_at is not None
    assert _utc(won.lead_created_at) <= _utc(won.opportunity_created_at) <= _utc(won.closed_at)  # type: ignore[operator]
    assert [x.id for x in lost.touchpoints] == [touch["t4"]]
    assert not lost.converted and lost.lead_id is None and lost.revenue == Decimal("500.00")
    # No contact any more: the lead's touches and those of the contact it became.
    assert [x.id for x in detached.touchpoints] == [str(x) for x in t.detached_touches]
    assert detached.converted and detached.lead_id == str(t.detached_lead)
    assert journeys == await case.reference.revenue_journeys(t.tenant, start, end)
    assert await case.store.revenue_journeys(t.tenant, NOW + DAY, NOW + 2 * DAY) == []


async def test_non_converting_journeys_are_the_leads_without_a_closed_deal(case: Case) -> None:
    t, w = case.journeys, case.journeys.world
    start, end = NOW - 30 * DAY, NOW + DAY

    journeys = await case.store.revenue_journeys(t.tenant, start, end, non_converting=True)

    # The last: the lead converted into an account alone (customer_journey_data).
    assert [j.id for j in journeys] == [str(w.lost), str(w.won), str(t.detached),
                                        f"lead:{w.open_lead}",
                                        f"lead:{case.steps.account_lead}"]  # fmt: skip
    walk = journeys[3]
    assert [x.id for x in walk.touchpoints] == [str(w.touches["t5"])]
    assert not walk.converted and walk.deal_id is None and walk.lead_id == str(w.open_lead)
    assert walk.lead_created_at is not None and walk.qualified_at is None
    assert journeys == await case.reference.revenue_journeys(
        t.tenant, start, end, non_converting=True
    )


async def test_another_tenants_journeys_never_show(case: Case) -> None:
    t, o = case.journeys, case.their_journeys
    start, end = NOW - 30 * DAY, NOW + DAY
    mine = await case.store.revenue_journeys(t.tenant, start, end, non_converting=True)
    theirs = await case.store.revenue_journeys(o.tenant, start, end, non_converting=True)

    assert len(mine) == len(theirs) == 5
    ids = {j.id for j in mine} | {x.id for j in mine for x in j.touchpoints}
    assert not ids & ({j.id for j in theirs} | {x.id for j in theirs for x in j.touchpoints})


def _kinds(steps: list[JourneyStep] | tuple[JourneyStep, ...], kind: StepKind) -> list[JourneyStep]:
    return [s for s in steps if s.kind is kind]


def _statements(store: GraphStore) -> float:
    found = REGISTRY.get_sample_value(
        "crmgraph_graph_queries_total", {"backend": store.name, "query": "customer_journey"}
    )
    return found or 0.0


async def test_customer_journey_of_a_contact(case: Case) -> None:
    t, w, x = case.journeys, case.journeys.world, case.steps
    before = _statements(case.store)

    steps = list(await case.store.customer_journey(t.tenant, contact_id=w.contact))

    # Answered by the adapter itself (Neo4j: one Cypher statement), not handed to another.
    assert _statements(case.store) - before == 1

    assert steps == list(await case.reference.customer_journey(t.tenant, contact_id=w.contact))
    times = [(_utc(s.occurred_at), s.id) for s in steps]
    assert times == sorted(times)  # type: ignore[type-var]
    touches = [s.touchpoint_id for s in _kinds(steps, StepKind.TOUCHPOINT)]
    assert touches == [w.touches["t1"], t.campaign_touch, w.touches["t2"], w.touches["t3"]]
    # About the contact (make_world's email), its lead (completed) and its deal; not the
    # deleted task, the open lead's, or the account's call (an account journey's).
    acts = {s.activity_id: s for s in _kinds(steps, StepKind.ACTIVITY)}
    assert set(acts) - {x.lead_task, x.deal_event} == {
        next(s.id for s in acts.values() if s.summary == "communication: Hello")}  # fmt: skip
    assert (acts[x.lead_task].summary, acts[x.lead_task].activity_type) == ("task: Send deck",
                                                                            "TASK")  # fmt: skip
    event = acts[x.deal_event]
    assert (event.deal_id, event.summary, _utc(event.occurred_at)) == (w.won, "event: Demo",
                                                                       NOW - 6 * DAY)  # fmt: skip
    # The won deal: opened, moved from the stage now named Inbound, closed.
    moves = _kinds(steps, StepKind.STAGE_MOVE)
    assert [(m.deal_id, m.from_stage, m.to_stage) for m in moves] == [
        (w.won, "Inbound", "Closed Won")]  # fmt: skip
    assert moves[0].summary == "stage: Inbound -> Closed Won"
    assert [s.deal_id for s in _kinds(steps, StepKind.DEAL_CREATED)] == [w.won]
    assert [s.deal_id for s in _kinds(steps, StepKind.DEAL_CLOSED)] == [w.won]


async def test_customer_journey_of_an_account(case: Case) -> None:
    t, w, x = case.journeys, case.journeys.world, case.steps

    steps = list(await case.store.customer_journey(t.tenant, account_id=x.account))

    assert steps == list(await case.reference.customer_journey(t.tenant, account_id=x.account))
    # Its contact's path, its own deal's, and the touches of the lead converted into it.
    touches = {s.touchpoint_id for s in _kinds(steps, StepKind.TOUCHPOINT)}
    assert touches == {*(w.touches[k] for k in ("t1", "t2", "t3")), t.campaign_touch,
                       x.account_lead_touch}  # fmt: skip
    acts = {s.activity_id: s for s in _kinds(steps, StepKind.ACTIVITY)}
    assert {x.lead_task, x.deal_event, x.account_call} < set(acts) and len(acts) == 4
    assert {x.deleted_task, x.open_lead_task}.isdisjoint(acts)
    assert acts[x.account_call].summary == "communication: CALL"
    moves = [(m.deal_id, m.from_stage, m.to_stage) for m in _kinds(steps, StepKind.STAGE_MOVE)]
    assert sorted(moves, key=str) == sorted([(w.won, "Inbound", "Closed Won"),
        (x.account_deal, "Inbound", "Qualification"),
        (x.account_deal, "Qualification", "Proposal")], key=str)  # fmt: skip
    assert {s.deal_id for s in _kinds(steps, StepKind.DEAL_CREATED)} == {w.won, x.account_deal}


async def test_another_tenants_customer_journeys_never_show(case: Case) -> None:
    t, o = case.journeys, case.their_journeys
    store = case.store
    for mine in ({"contact_id": t.world.contact}, {"account_id": case.steps.account}):
        with pytest.raises(DomainError) as refused:
            await store.customer_journey(o.tenant, **mine)
        assert refused.value.code.value == "NOT_FOUND"
    ours = await store.customer_journey(t.tenant, account_id=case.steps.account)
    theirs = await store.customer_journey(o.tenant, account_id=case.their_steps.account)
    assert len(ours) == len(theirs) > 10
    assert not {s.id for s in ours} & {s.id for s in theirs}
    with pytest.raises(DomainError) as both:
        await store.customer_journey(t.tenant, contact_id=t.world.contact,
                                     account_id=case.steps.account)  # fmt: skip
    assert both.value.code.value == "VALIDATION_ERROR"
