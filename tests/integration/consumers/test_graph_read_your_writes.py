"""Read-your-writes of graph reads, through the router (tests/stack.py): Account.parentAccount,
childAccounts and hierarchy are answered by Neo4j once the projection has the tenant's
writes, by SQL (showing the write) while it has not, and by SQL when Neo4j is killed.

The stacks have a database of their own (outbox_settings) and run no consumers: the test runs
the graph projection itself (catch_up), so the projection is held until the test lets it
catch up. The outage test's stack has a Neo4j of its own (PrivateNeo4j), which it SIGKILLs.
`crmgraph_graph_queries_total{backend}` (this process's counter) shows who answered.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
from sqlalchemy import event

from crmgraph.config import Settings
from crmgraph.db.engine import create_engine, create_session_factory
from crmgraph.events.consumers.graph_projection import GraphProjection
from crmgraph.events.consumers.runner import ConsumerRunner
from crmgraph.graph.neo4j_store import Neo4jGraphStore
from crmgraph.graph.read_your_writes import OUTAGE_SECONDS, GraphReads
from crmgraph.graph.sql_store import SqlGraphStore
from crmgraph.rest.metrics import REGISTRY
from tests.integration.consumers.neo4j_server import PrivateNeo4j
from tests.integration.consumers.support import new_tenant
from tests.integration.graph_data import DEPTH, Tree, write_tree
from tests.ports import free_port
from tests.stack import Stack

QUESTIONS = ("parents", "children", "ancestors")
FAMILY = """{ accounts(first: 20) { edges { node { name parentAccount { name }
  childAccounts { name } } } } }"""
PLACE = """query($id: ID!) { account(id: $id) { name parentAccount { name } childAccounts { name }
  hierarchy { parent { name } children { name } ancestors { depth account { name } } } } }"""
MOVE = """mutation($id: ID!, $parent: ID!) { updateAccount(id: $id, input: {parentAccountId:
  $parent}) { account { name parentAccount { name } hierarchy { ancestors { depth
  account { name } } } } } }"""


def stack_of(settings: Settings, workdir: Path) -> Stack:
    """The full stack on settings' Neo4j, running no consumers."""
    workdir.mkdir(exist_ok=True)
    stack = Stack(settings.model_copy(update={"consumers_in_process": False}), workdir=workdir)
    stack.start()
    return stack


@pytest.fixture(scope="module")
def held(outbox_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """On the shared Neo4j: the graph projection runs only when a test lets it catch up."""
    stack = stack_of(outbox_settings, tmp_path_factory.mktemp("held"))
    yield stack
    stack.stop()


@pytest.fixture
def neo4j(tmp_path: Path) -> Iterator[PrivateNeo4j]:
    with PrivateNeo4j(tmp_path) as server:
        yield server


@pytest.fixture
def on_private(outbox_settings: Settings, neo4j: PrivateNeo4j, tmp_path: Path) -> Iterator[Stack]:
    """On a Neo4j of the test's own, which it may kill."""
    settings = outbox_settings.model_copy(
        update={"neo4j_uri": neo4j.uri, "neo4j_user": "neo4j", "neo4j_password": "unused"}
    )
    stack = stack_of(settings, tmp_path / "stack")
    yield stack
    stack.stop()


def catch_up(stack: Stack) -> None:
    """Run the graph projection until nothing is pending (no other consumer runs here)."""

    async def run() -> None:
        projection = GraphProjection(stack.runtime.graph)
        runner = ConsumerRunner(stack.runtime.sessions, [projection])
        while (batch := await runner.run_batch(projection)).claimed:
            assert batch.pause is None and batch.retry_in is None, batch

    stack.call(run)


def counts() -> dict[tuple[str, str], float]:
    return {(backend, query): REGISTRY.get_sample_value("crmgraph_graph_queries_total",
                                                        {"backend": backend, "query": query})
            or 0.0 for backend in ("neo4j", "sql") for query in QUESTIONS}  # fmt: skip


def answered(before: dict[tuple[str, str], float]) -> dict[tuple[str, str], float]:
    """The statements answered since before, by (backend, question)."""
    return {key: value - before[key] for key, value in counts().items() if value > before[key]}


def answer(stack: Stack, query: str, tenant: str, **variables: Any) -> dict[str, Any]:
    body = stack.graphql(query, variables, tenant=tenant).json()
    assert "errors" not in body, body
    found: dict[str, Any] = body["data"]
    return found


def family(stack: Stack, tenant: str) -> dict[str, tuple[str | None, list[str]]]:
    """Each account's parent's name and its children's, by name."""
    nodes = [e["node"] for e in answer(stack, FAMILY, tenant)["accounts"]["edges"]]
    return {n["name"]: ((n["parentAccount"] or {}).get("name"),
                        [c["name"] for c in n["childAccounts"]]) for n in nodes}  # fmt: skip


def expected_family() -> dict[str, tuple[str | None, list[str]]]:
    """tests/integration/graph_data's tree: a0 -> a1 -> ... -> a8, b(k+1) a leaf under a(k)."""
    found: dict[str, tuple[str | None, list[str]]] = {}
    for depth in range(DEPTH + 1):
        parent = None if depth == 0 else f"a{depth - 1}"
        below = [] if depth == DEPTH else [f"a{depth + 1}", f"b{depth + 1}"]
        found[f"a{depth}"] = (parent, below)
        if depth:
            found[f"b{depth}"] = (parent, [])
    return found


def tree_of(stack: Stack, tenant: str) -> Tree:
    return stack.call(lambda: write_tree(stack.runtime.sessions, tenant))


def test_neo4j_answers_once_projected_and_sql_shows_a_move_until_then(
    held: Stack, tenant: str
) -> None:
    tree = tree_of(held, tenant)
    a7, a8, b1 = tree.chain[7], tree.chain[8], tree.leaves[0]

    before = counts()  # nothing projected yet: SQL answers, one statement per level
    assert family(held, tenant) == expected_family()
    assert answered(before) == {("sql", "parents"): 1, ("sql", "children"): 1}

    catch_up(held)
    tree_of(held, f"{tenant}_other")  # another tenant's pending writes do not matter
    before = counts()
    assert family(held, tenant) == expected_family()
    assert answered(before) == {("neo4j", "parents"): 1, ("neo4j", "children"): 1}

    # a8 moves under b1; the projection is held: the answer is SQL's, with the move.
    before = counts()
    moved = answer(held, MOVE, tenant, id=str(a8), parent=str(b1))
    assert moved == {"updateAccount": {"account": {"name": "a8", "parentAccount": {"name": "b1"},
        "hierarchy": {"ancestors": [{"depth": 1, "account": {"name": "b1"}},
                                    {"depth": 2, "account": {"name": "a0"}}]}}}}  # fmt: skip
    assert answered(before) == {("sql", "parents"): 1, ("sql", "ancestors"): 1}

    place = {"account": {"name": "a7", "parentAccount": {"name": "a6"},
        "childAccounts": [{"name": "b8"}], "hierarchy": {"parent": {"name": "a6"},
        "children": [{"name": "b8"}], "ancestors": [{"depth": d, "account": {"name": f"a{7 - d}"}}
                                                    for d in range(1, 8)]}}}  # fmt: skip
    before = counts()  # a later request, still before the projection has it
    assert answer(held, PLACE, tenant, id=str(a7)) == place
    assert answered(before) == {("sql", q): 1 for q in QUESTIONS}

    catch_up(held)
    before = counts()
    assert answer(held, PLACE, tenant, id=str(a7)) == place
    assert answered(before) == {("neo4j", q): 1 for q in QUESTIONS}


def test_account_queries_answer_from_sql_with_neo4j_killed(
    on_private: Stack, neo4j: PrivateNeo4j, tenant: str
) -> None:
    tree = tree_of(on_private, tenant)
    catch_up(on_private)
    before = counts()
    assert family(on_private, tenant) == expected_family()
    assert answered(before) == {("neo4j", "parents"): 1, ("neo4j", "children"): 1}

    neo4j.stop()  # SIGKILL

    for _ in range(2):  # the first finds Neo4j gone, the next does not ask it
        before = counts()
        began = time.monotonic()
        assert family(on_private, tenant) == expected_family()
        assert answered(before) == {("sql", "parents"): 1, ("sql", "children"): 1}
        assert time.monotonic() - began < 5, "the request waited for Neo4j"
    place = answer(on_private, PLACE, tenant, id=str(tree.chain[8]))["account"]
    assert place["parentAccount"] == place["hierarchy"]["parent"] == {"name": "a7"}
    assert len(place["hierarchy"]["ancestors"]) == DEPTH


async def test_a_neo4j_that_does_not_answer_is_left_alone_for_a_while(
    outbox_settings: Settings,
) -> None:
    engine = create_engine(outbox_settings)
    tables = SqlGraphStore(engine)
    nobody = Neo4jGraphStore(f"bolt://127.0.0.1:{free_port()}", "neo4j", "x", sql=tables)
    reads = GraphReads(nobody, tables, create_session_factory(engine))
    tenant = new_tenant()  # nothing written: nothing to project, Neo4j would answer
    account = uuid4()
    try:
        assert reads.projection_up() is nobody
        before = counts()
        assert await reads.for_request().children(tenant, [account]) == {account: []}
        assert answered(before) == {("sql", "children"): 1}
        assert reads.projection_up() is None  # for OUTAGE_SECONDS: SQL without asking Neo4j
        await asyncio.sleep(OUTAGE_SECONDS)
        assert reads.projection_up() is nobody  # then Neo4j is asked again
    finally:
        await nobody.close()
        await engine.dispose()


async def test_a_request_asks_once_per_tenant_whether_the_projection_is_current(
    outbox_settings: Settings,
) -> None:
    assert outbox_settings.neo4j_uri
    engine = create_engine(outbox_settings)
    asked: list[str] = []

    def note(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        if "outbox_deliveries" in statement:
            asked.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", note)
    tables = SqlGraphStore(engine)
    graph = Neo4jGraphStore(outbox_settings.neo4j_uri, outbox_settings.neo4j_user,
                            outbox_settings.neo4j_password, sql=tables)  # fmt: skip
    reads = GraphReads(graph, tables, create_session_factory(engine))
    tenant, ids = new_tenant(), [uuid4()]
    try:
        request = reads.for_request()
        await asyncio.gather(request.parents(tenant, ids), request.children(tenant, ids),
                             request.ancestors(tenant, ids))  # fmt: skip
        await request.descendants(tenant, ids)
        assert len(asked) == 1
        await reads.for_request().parents(tenant, ids)
        assert len(asked) == 2
    finally:
        await graph.close()
        await engine.dispose()
