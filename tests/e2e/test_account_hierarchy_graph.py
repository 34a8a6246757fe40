"""The account hierarchy through the router, answered from Neo4j: 004's query
AccountHierarchyWithDeals (tests/data, unchanged) and the hierarchy of many accounts in one
request, each hierarchy question one graph statement per request level, as the
`crmgraph_graph_queries_total` counter of the subgraphs' process shows."""

from __future__ import annotations

import asyncio
from typing import Any

from crmgraph.rest.metrics import REGISTRY
from tests.e2e.test_abuse_limits import ACCOUNT_HIERARCHY_WITH_DEALS as QUERY
from tests.integration.graph_data import DEPTH, Tree, write_tree
from tests.stack import Stack

MANY = """{ accounts(first: 20) { edges { node { name
  hierarchy { ancestors { depth account { name } } descendants { depth } }
  totalDealValue(includeDescendants: true) } } } }"""


def statements(query: str, backend: str) -> float:
    found = REGISTRY.get_sample_value(
        "crmgraph_graph_queries_total", {"backend": backend, "query": query}
    )
    return found or 0.0


def projected_tree(stack: Stack, tenant: str) -> Tree:
    async def make() -> Tree:
        tree = await write_tree(stack.runtime.sessions, tenant)
        async with asyncio.timeout(30):
            while True:
                below = await stack.runtime.graph.descendants(tenant, [tree.chain[0]])
                rolled = await stack.runtime.graph.deal_value_rollup(
                    tenant, [tree.chain[0]], include_descendants=True
                )
                done = len(below[tree.chain[0]]) == 2 * DEPTH and rolled[tree.chain[0]] > 300
                # ... and no write of the tenant left to project: Neo4j answers its requests
                if done and await stack.runtime.graph_reads.current(tenant):
                    return tree
                await asyncio.sleep(0.1)

    return stack.call(make)


def answer(stack: Stack, query: str, tenant: str, **variables: Any) -> dict[str, Any]:
    body = stack.graphql(query, variables, tenant=tenant).json()
    assert "errors" not in body, body
    found: dict[str, Any] = body["data"]
    return found


def test_004_account_hierarchy_with_deals_comes_from_neo4j(stack: Stack, tenant: str) -> None:
    check_004(stack, tenant, "neo4j")


def test_the_hierarchy_of_many_accounts_is_one_graph_query_per_question(
    stack: Stack, tenant: str
) -> None:
    check_many(stack, tenant, "neo4j")


def check_004(stack: Stack, tenant: str, backend: str) -> None:
    """004's query on a7 of the tree: its answer, and one statement each for the parent and
    the children, from backend (the embedded smoke test runs it on the SQL adapter)."""
    assert stack.runtime.graph.name == backend
    tree = projected_tree(stack, tenant)
    before = {q: statements(q, backend) for q in ("parents", "children")}

    found = answer(stack, QUERY, tenant, accountId=str(tree.chain[7]))

    assert {q: statements(q, backend) - before[q] for q in before} == {"parents": 1, "children": 1}
    deep = {"fullName": "Ada Deep", "jobTitle": None, "deals": {"edges": [{"node": {
        "title": "deep", "value": 100.1, "stage": "Open", "probability": 10}}]}}  # fmt: skip
    assert found == {"account": {"id": str(tree.chain[7]), "name": "a7", "hierarchy": {
        "parent": {"id": str(tree.chain[6]), "name": "a6", "totalDealValue": 0.0},
        "children": [
            {"id": str(tree.chain[8]), "name": "a8", "contacts": {"edges": [{"node": deep}]}},
            {"id": str(tree.leaves[7]), "name": "b8", "contacts": {"edges": []}}]},
        "deals": {"edges": []}}}  # fmt: skip


def check_many(stack: Stack, tenant: str, backend: str) -> None:
    """The hierarchy and rolled-up value of all 17 accounts: one statement per question."""
    assert stack.runtime.graph.name == backend
    projected_tree(stack, tenant)
    asked = ("ancestors", "descendants", "deal_value_rollup")
    before = {q: statements(q, backend) for q in asked}

    nodes = [e["node"] for e in answer(stack, MANY, tenant)["accounts"]["edges"]]

    assert {q: statements(q, backend) - before[q] for q in asked} == dict.fromkeys(asked, 1)
    by_name = {node["name"]: node for node in nodes}
    assert len(by_name) == 2 * DEPTH + 1
    a8 = by_name["a8"]["hierarchy"]
    assert [(m["depth"], m["account"]["name"]) for m in a8["ancestors"]] == [
        (d, f"a{8 - d}") for d in range(1, DEPTH + 1)
    ]
    assert len(by_name["a0"]["hierarchy"]["descendants"]) == 2 * DEPTH
    assert by_name["a0"]["totalDealValue"] == 300.4
    assert by_name["a4"]["totalDealValue"] == 300.35
    assert by_name["b4"]["totalDealValue"] == 0.05  # leaves[3], child of a3
