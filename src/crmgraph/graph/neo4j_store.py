"""Neo4j adapter of the GraphStore port: with neo4j_writes, the only modules that speak Cypher.

Each read is one Cypher statement for all the accounts asked (UNWIND $ids), filtered on the
tenant at every node it matches; edges are only ever written between nodes of one tenant
(crmgraph.graph.neo4j_writes). Every statement answered counts in
`crmgraph_graph_queries_total` (backend="neo4j", query=<method>) of crmgraph.rest.metrics.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any, LiteralString
from uuid import UUID

from neo4j import READ_ACCESS, AsyncDriver, AsyncGraphDatabase, Record
from neo4j.exceptions import ServiceUnavailable as DriverUnavailable
from neo4j.exceptions import SessionExpired

from crmgraph.db.scoping import Scope, readable_owners
from crmgraph.domain.attribution import Journey
from crmgraph.domain.customer_journey import JourneyStep, check_subject
from crmgraph.errors import DomainError, ErrorCode, ServiceUnavailable
from crmgraph.graph import neo4j_customer_journey, neo4j_journeys, neo4j_writes
from crmgraph.graph.model import Changes, at
from crmgraph.graph.port import MAX_DEPTH, Ranked, Related, by_depth
from crmgraph.graph.sql_store import SqlGraphStore
from crmgraph.rest.metrics import GRAPH_QUERIES

ACCOUNT = "(n:Account {tenant_id: $tenant, id: id})"
DEPTHS = f"1..{MAX_DEPTH}"
PARENTS = (
    f"UNWIND $ids AS id MATCH {ACCOUNT} OPTIONAL MATCH (p:Account)-[:PARENT_OF]->(n) "
    "RETURN id, p.id AS other"
)
CHILDREN = f"UNWIND $ids AS id MATCH {ACCOUNT}-[:PARENT_OF]->(c:Account) RETURN id, c.id AS other"
# Expanded from the anchor (its (tenant_id, id) index seek) with one record per account
# asked, its [id, depth] pairs collected on the server: a record per descendant cost
# thousands of records through the driver, 1.7 s for 50 mid-level accounts against 0.2 s
# on the server (PROFILE: about 2 db hits per account reached either way).
ANCESTORS = (
    f"UNWIND $ids AS id MATCH path = (a:Account)-[:PARENT_OF*{DEPTHS}]->{ACCOUNT} "
    "RETURN id, collect([a.id, length(path)]) AS found"
)
DESCENDANTS = (
    f"UNWIND $ids AS id MATCH path = {ACCOUNT}-[:PARENT_OF*{DEPTHS}]->(d:Account) "
    "RETURN id, collect([d.id, length(path)]) AS found"
)
RELATIONSHIPS = (
    f"UNWIND $ids AS id MATCH {ACCOUNT}-[x:RELATED]-(:Account) "
    "RETURN id, x.id AS rid, startNode(x).id AS a, endNode(x).id AS b, x.type AS type"
)
CYCLE = (
    "OPTIONAL MATCH (c:Account {tenant_id: $tenant, id: $child}) "
    "RETURN $child = $parent OR (c IS NOT NULL AND EXISTS { MATCH "
    f"(c)-[:PARENT_OF*{DEPTHS}]->(:Account {{tenant_id: $tenant, id: $parent}}) }}) AS cycle"
)


def _rollup(depth: int) -> LiteralString:
    """$owners: the ids of the users whose deals the caller may read, null for all
    (crmgraph.db.scoping.readable_owners: owner_filter's rule, matched on OWNS edges here;
    a deal whose owner's node is missing is no one's, as a deal without an owner)."""
    return (f"UNWIND $ids AS id MATCH {ACCOUNT} "
            f"OPTIONAL MATCH (n)-[:PARENT_OF*0..{depth}]->(:Account)<-[:FOR_ACCOUNT]-(d:Deal) "
            "WHERE d.status = 'ACTIVE' AND ($owners IS NULL OR EXISTS { "
            "MATCH (o:User {tenant_id: $tenant})-[:OWNS]->(d) WHERE o.id IN $owners }) "
            "RETURN id, sum(d.value_cents) AS cents")  # fmt: skip


CENT = Decimal("0.01")
ROLLUP = {True: _rollup(MAX_DEPTH), False: _rollup(0)}


class Neo4jGraphStore:
    name = "neo4j"

    def __init__(self, uri: str, user: str, password: str, *, sql: SqlGraphStore) -> None:
        self._uri = uri
        # The same data in the tables. Nothing here reads it since customer journeys moved
        # to Cypher; kept so that callers need not change.
        self._sql = sql
        self._driver: AsyncDriver = AsyncGraphDatabase.driver(
            uri, auth=(user, password), connection_timeout=5.0, max_transaction_retry_time=5.0
        )
        self._constrained = False

    async def ping(self) -> str:
        try:
            records, _, _ = await self._driver.execute_query(
                "CALL dbms.components() YIELD versions RETURN versions[0] AS version"
            )
        except Exception as exc:  # the driver raises many kinds; all mean "not answering"
            reason = str(exc) or type(exc).__name__
            down = isinstance(exc, DriverUnavailable | OSError)  # not an AuthError, say
            raise ServiceUnavailable("Neo4j", self._uri, reason, down=down) from exc
        return str(records[0]["version"])

    async def close(self) -> None:
        await self._driver.close()

    async def project(self, changes: Changes, *, links: bool = True) -> None:
        if not changes:
            return
        try:
            if not self._constrained:
                for statement in neo4j_writes.CONSTRAINTS:
                    await self._driver.execute_query(statement)
                self._constrained = True
            async with self._driver.session() as session:
                count = await session.execute_write(neo4j_writes.write, changes, links=links)
        except (DriverUnavailable, SessionExpired, OSError) as exc:
            raise ServiceUnavailable("Neo4j", self._uri, str(exc) or type(exc).__name__) from exc
        GRAPH_QUERIES.labels(backend=self.name, query="project").inc(count)

    async def _read(self, query: str, statement: LiteralString, **params: Any) -> list[Record]:
        # One auto-commit statement, which the driver does not retry: a request's read that
        # fails is answered by SQL (crmgraph.graph.read_your_writes) at once, not after the
        # driver's retries (7.5 s against a stopped server).
        try:
            async with self._driver.session(default_access_mode=READ_ACCESS) as session:
                result = await session.run(statement, params)
                records = [record async for record in result]
        except (DriverUnavailable, SessionExpired, OSError) as exc:
            raise ServiceUnavailable("Neo4j", self._uri, str(exc) or type(exc).__name__) from exc
        GRAPH_QUERIES.labels(backend=self.name, query=query).inc()  # answered, not just sent
        return records

    async def _pairs(self, query: str, statement: LiteralString, tenant: str,
                     ids: Sequence[UUID]) -> list[Record]:  # fmt: skip
        once = [str(i) for i in dict.fromkeys(ids)]  # a repeated id would be summed twice
        return await self._read(query, statement, tenant=tenant, ids=once)

    async def parents(self, tenant: str, ids: Sequence[UUID]) -> dict[UUID, UUID | None]:
        records = await self._pairs("parents", PARENTS, tenant, ids)
        return {UUID(r["id"]): None if r["other"] is None else UUID(r["other"]) for r in records}

    async def children(self, tenant: str, ids: Sequence[UUID]) -> dict[UUID, list[UUID]]:
        found: dict[UUID, list[UUID]] = {i: [] for i in ids}
        for r in await self._pairs("children", CHILDREN, tenant, ids):
            found[UUID(r["id"])].append(UUID(r["other"]))
        return {key: sorted(value, key=str) for key, value in found.items()}

    async def ancestors(self, tenant: str, ids: Sequence[UUID]) -> dict[UUID, list[Ranked]]:
        return await self._ranked("ancestors", ANCESTORS, tenant, ids)

    async def descendants(self, tenant: str, ids: Sequence[UUID]) -> dict[UUID, list[Ranked]]:
        return await self._ranked("descendants", DESCENDANTS, tenant, ids)

    async def _ranked(self, query: str, statement: LiteralString, tenant: str,
                      ids: Sequence[UUID]) -> dict[UUID, list[Ranked]]:  # fmt: skip
        found: dict[UUID, list[Ranked]] = {i: [] for i in ids}
        for r in await self._pairs(query, statement, tenant, ids):
            found[UUID(r["id"])] = [Ranked(int(depth), UUID(other)) for other, depth in r["found"]]
        return by_depth(found)

    async def relationships(self, tenant: str, ids: Sequence[UUID]) -> dict[UUID, list[Related]]:
        found: dict[UUID, list[Related]] = defaultdict(list)
        for r in await self._pairs("relationships", RELATIONSHIPS, tenant, ids):
            found[UUID(r["id"])].append(
                Related(UUID(r["rid"]), UUID(r["a"]), UUID(r["b"]), r["type"])
            )
        return {i: sorted(found[i], key=lambda x: str(x.id)) for i in ids}

    async def would_create_cycle(self, tenant: str, child: UUID, new_parent: UUID) -> bool:
        records = await self._read("would_create_cycle", CYCLE, tenant=tenant,
                                   child=str(child), parent=str(new_parent))  # fmt: skip
        return bool(records[0]["cycle"])

    async def deal_value_rollup(
        self, tenant: str, ids: Sequence[UUID], *, include_descendants: bool,
        reader: Scope | None = None, team: Collection[UUID] = (),
    ) -> dict[UUID, Decimal]:  # fmt: skip
        """Filtered by owner in Cypher (_rollup's $owners), not afterwards: a sum cannot be
        taken apart once the server has added it up."""
        found = {i: CENT * 0 for i in ids}
        owners = readable_owners(tenant if reader is None else reader, "deals", team)
        once = [str(i) for i in dict.fromkeys(ids)]  # a repeated id would be summed twice
        records = await self._read("deal_value_rollup", ROLLUP[include_descendants], tenant=tenant,
                                   ids=once, owners=None if owners is None
                                   else sorted(str(o) for o in owners))  # fmt: skip
        for r in records:
            found[UUID(r["id"])] = (Decimal(int(r["cents"] or 0)) / 100).quantize(CENT)
        return found

    # --- Marketing journeys (revenue attribution, customer journeys) -----------------------

    async def revenue_journeys(
        self, tenant: str, start: datetime, end: datetime, *, non_converting: bool = False
    ) -> Sequence[Journey]:
        records = await self._read("revenue_journeys", neo4j_journeys.JOURNEYS, tenant=tenant,
                                   start=at(start), end=at(end),
                                   non_converting=non_converting)  # fmt: skip
        return [neo4j_journeys.journey_of(r) for r in records]

    async def customer_journey(
        self, tenant: str, *, contact_id: UUID | None = None, account_id: UUID | None = None
    ) -> Sequence[JourneyStep]:
        check_subject(contact_id, account_id)
        statement, what = neo4j_customer_journey.OF_CONTACT, "contact"
        if contact_id is None:
            statement, what = neo4j_customer_journey.OF_ACCOUNT, "account"
        key = str(contact_id or account_id)
        records = await self._read("customer_journey", statement, tenant=tenant, id=key)
        if not records:
            raise DomainError(ErrorCode.NOT_FOUND, f"{what} not found", field=f"{what}Id")
        return neo4j_customer_journey.steps_of(records[0])
