"""Account relationships through the router, answered from the graph store: Account.relationships
and hierarchy { relationships } for many accounts in one graph statement (the
`crmgraph_graph_queries_total` counter), and deleteAccountRelationship taking one out of the
graph. tests/smoke/test_embedded_mode.py runs the same checks on the SQL adapter."""

from __future__ import annotations

import asyncio

from tests.e2e.test_account_hierarchy_graph import answer, projected_tree, statements
from tests.integration.graph_data import Tree
from tests.stack import Stack

LINKS = """{ accounts(first: 20) { edges { node { name
  relationships { id relationshipType direction account { name } }
  hierarchy { relationships { relationshipType } } } } } }"""
DELETE = "mutation($id: ID!) { deleteAccountRelationship(id: $id) { id deleted } }"

# The tree's relationships (tests/integration/graph_data.py): a0 PARTNER a5, b3 VENDOR a0,
# a5 RESELLER b8; each account sees them from its own side.
EXPECTED = {
    "a0": {("PARTNER", "OUTGOING", "a5"), ("VENDOR", "INCOMING", "b3")},
    "a5": {("PARTNER", "INCOMING", "a0"), ("RESELLER", "OUTGOING", "b8")},
    "b3": {("VENDOR", "OUTGOING", "a0")},
    "b8": {("RESELLER", "INCOMING", "a5")},
}


def test_relationships_of_many_accounts_are_one_neo4j_query(stack: Stack, tenant: str) -> None:
    check_relationships(stack, tenant, "neo4j")


def test_a_deleted_relationship_leaves_the_graph(stack: Stack, tenant: str) -> None:
    check_delete(stack, tenant)


def links(stack: Stack, tenant: str) -> dict[str, list[dict[str, object]]]:
    nodes = [e["node"] for e in answer(stack, LINKS, tenant)["accounts"]["edges"]]
    for node in nodes:  # the hierarchy's view is the same list
        assert [r["relationshipType"] for r in node["hierarchy"]["relationships"]] == [
            r["relationshipType"] for r in node["relationships"]
        ]
    return {node["name"]: node["relationships"] for node in nodes}


def seen(found: list[dict[str, object]]) -> set[tuple[object, ...]]:
    return {(r["relationshipType"], r["direction"], r["account"]["name"])  # type: ignore[index]
            for r in found}  # fmt: skip


def check_relationships(stack: Stack, tenant: str, backend: str) -> Tree:
    """The relationships of all 17 accounts of the tree: one graph statement, from backend."""
    assert stack.runtime.graph.name == backend
    tree = projected_tree(stack, tenant)
    before = statements("relationships", backend)

    found = links(stack, tenant)

    assert statements("relationships", backend) - before == 1
    assert len(found) == len(tree.all)
    assert {name: seen(rels) for name, rels in found.items() if rels} == EXPECTED
    return tree


def check_delete(stack: Stack, tenant: str) -> None:
    """Deleting a0's PARTNER link takes it from both accounts' lists (once projected); a
    second delete of it is NOT_FOUND."""
    tree = check_relationships(stack, tenant, stack.runtime.graph.name)
    partner = next(r for r in links(stack, tenant)["a0"] if r["relationshipType"] == "PARTNER")

    done = stack.graphql(DELETE, {"id": partner["id"]}, tenant=tenant).json()

    assert done == {"data": {"deleteAccountRelationship": {"id": partner["id"],
                                                           "deleted": True}}}  # fmt: skip

    async def projected() -> None:
        root = tree.chain[0]
        async with asyncio.timeout(30):
            while True:
                if len((await stack.runtime.graph.relationships(tenant, [root]))[root]) == 1:
                    return
                await asyncio.sleep(0.1)

    stack.call(projected)
    after = links(stack, tenant)
    assert seen(after["a0"]) == {("VENDOR", "INCOMING", "b3")}
    assert seen(after["a5"]) == {("RESELLER", "OUTGOING", "b8")}
    again = stack.graphql(DELETE, {"id": partner["id"]}, tenant=tenant).json()
    assert again["errors"][0]["extensions"]["code"] == "NOT_FOUND"
