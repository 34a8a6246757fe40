"""The projection's writes to Neo4j (Cypher; crmgraph.graph.neo4j_store has the reads).

Every node is MERGEd on (tenant_id, id) under a uniqueness constraint per label, so writing
a state twice changes nothing; a state older than the node's (`version`, the row's
updated_at) is skipped, so a late or repeated event never undoes a newer one. Rows go in
with UNWIND, a list per statement: a row per node of a consumer batch's events (at most one
per node: crmgraph.graph.model.combined) or of a `crmgraph graph rebuild` batch.
Statements are made from the fixed tables of crmgraph.graph.model, never from input.
"""

from __future__ import annotations

from typing import Any

from neo4j import AsyncManagedTransaction

from crmgraph.graph.model import LABELS, LINKS, Changes, Label, Link, Node

CONSTRAINTS = [
    f"CREATE CONSTRAINT {label.lower()}_key IF NOT EXISTS "
    f"FOR (n:{label}) REQUIRE (n.tenant_id, n.id) IS UNIQUE"
    for label in LABELS
]


def _node_statement(label: Label) -> str:
    # Returns the rows applied: their links are written only for those.
    return (
        f"UNWIND $rows AS r MERGE (n:{label} {{tenant_id: r.tenant_id, id: r.id}}) "
        "WITH n, r WHERE n.version IS NULL OR n.version <= r.version "
        "SET n += r.props, n.version = r.version RETURN r.id AS id"
    )


def _link_statement(label: Label, link: Link) -> str:
    # The target's label too: a touchpoint has a TOUCHED edge from its lead and its contact.
    end = f"(:{link.target})"
    old = f"(n)-[old:{link.rel}]->{end}" if link.outgoing else f"{end}-[old:{link.rel}]->(n)"
    new = f"(n)-[:{link.rel}]->(t)" if link.outgoing else f"(t)-[:{link.rel}]->(n)"
    # Users are known only by id (the identity provider's): an owner makes its node; other
    # targets must exist, so a link to a deleted row is not brought back by a late event.
    target = (
        "MERGE (t:User {tenant_id: r.tenant_id, id: r.target})"
        if link.target == "User"
        else f"MATCH (t:{link.target} {{tenant_id: r.tenant_id, id: r.target}})"
    )
    return (
        f"UNWIND $rows AS r MATCH (n:{label} {{tenant_id: r.tenant_id, id: r.id}}) "
        f"OPTIONAL MATCH {old} DELETE old "
        "WITH DISTINCT n, r WHERE r.target IS NOT NULL "
        f"{target} MERGE {new}"
    )


RELATED = (
    "UNWIND $rows AS r "
    "MATCH (a:Account {tenant_id: r.tenant_id, id: r.account_id}) "
    "MATCH (b:Account {tenant_id: r.tenant_id, id: r.related_account_id}) "
    "MERGE (a)-[x:RELATED {id: r.id}]->(b) SET x += {type: r.type, tenant_id: r.tenant_id}"
)

UNRELATED = (
    "UNWIND $rows AS r "
    "MATCH (:Account {tenant_id: r.tenant_id, id: r.account_id})-[x:RELATED {id: r.id}]->() "
    "DELETE x"
)


# What goes with a node, as PostgreSQL's ON DELETE CASCADE (or the domain's delete) takes it:
# a lead's or contact's touchpoints, a deal's stage moves, a pipeline's stages.
CASCADES: dict[Label, str] = {
    "Lead": "(n)-[:TOUCHED]->(x:Touchpoint)",
    "Contact": "(n)-[:TOUCHED]->(x:Touchpoint)",
    "Deal": "(x:StageMove)-[:OF_DEAL]->(n)",
    "Pipeline": "(x:Stage)-[:IN_PIPELINE]->(n)",
}


def _delete_statement(label: Label) -> str:
    cascade = ""
    if label in CASCADES:
        cascade = f"CALL (n) {{ MATCH {CASCADES[label]} DETACH DELETE x }} "
    return (
        f"UNWIND $rows AS r MATCH (n:{label} {{tenant_id: r.tenant_id, id: r.id}}) "
        f"{cascade}DETACH DELETE n"
    )


async def write(tx: AsyncManagedTransaction, changes: Changes, *, links: bool = True) -> int:
    """Apply changes in one transaction; the number of statements run. Every label's nodes
    first, then the links of those applied: a link's target written in the same changes (a
    converted lead's deal, of a later label) is there when the link looks for it."""
    statements = 0
    fresh: list[tuple[Label, list[Node]]] = []
    for label in LABELS:
        nodes = [n for n in changes.nodes if n.label == label]
        if not nodes:
            continue
        result = await tx.run(_node_statement(label), rows=[_row(n) for n in nodes])
        applied = {record["id"] async for record in result}
        statements += 1
        fresh.append((label, [n for n in nodes if n.id in applied]))
    for label, nodes in fresh if links else ():
        for link in LINKS[label] if nodes else ():
            rows = [{"tenant_id": n.tenant_id, "id": n.id, "target": n.links.get(link.key)}
                    for n in nodes]  # fmt: skip
            await (await tx.run(_link_statement(label, link), rows=rows)).consume()
            statements += 1
    if changes.relationships:
        rows = [vars(r) for r in changes.relationships]
        await (await tx.run(RELATED, rows=rows)).consume()
        statements += 1
    if changes.unrelated:
        rows = [vars(r) for r in changes.unrelated]
        await (await tx.run(UNRELATED, rows=rows)).consume()
        statements += 1
    for label in LABELS:
        gone = [{"tenant_id": d.tenant_id, "id": d.id} for d in changes.deletions
                if d.label == label]  # fmt: skip
        if gone:
            await (await tx.run(_delete_statement(label), rows=gone)).consume()
            statements += 1
    return statements


def _row(node: Node) -> dict[str, Any]:
    return {"tenant_id": node.tenant_id, "id": node.id, "version": node.version,
            "props": node.props}  # fmt: skip
