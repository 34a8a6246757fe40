"""Tenant isolation through the real router: every Query and Mutation field of the supergraph,
and every subgraph's _entities, asked by tenant B about tenant A's ids. Nothing of A may show
(no id, name or email of A in any response), every answer must be the one an id no tenant has
gets, and A's rows and outbox events must be the same after the whole matrix."""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass, replace
from typing import Any

import pytest
from sqlalchemy import select

from crmgraph.db import models
from crmgraph.events.consumers.automation import AutomationConsumer
from crmgraph.events.consumers.graph_projection import GraphProjection
from tests.isolation_cases import (
    CASES,
    ENTITY_IDS,
    OWNERS,
    VOLATILE,
    Expect,
    Ids,
    Variant,
    entity_types,
    fitted,
    graph_urls,
    load_supergraph,
    operation,
    root_fields,
    seed_tenant,
    selection,
)
from tests.settle import settled
from tests.stack import Stack

SCHEMA = load_supergraph()
ROOTS = sorted(root_fields(SCHEMA) | set(CASES), key=lambda r: (r[0] != "query", r[1]))
ENTITIES = [(t, g) for t, graphs in sorted(entity_types(SCHEMA).items()) for g in graphs]
SUBGRAPHS = graph_urls(SCHEMA)
UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
TIME_RE = re.compile(r"\d{4}-\d{2}-\d{2}T[0-9:.]+(Z|[+-]\d{2}:\d{2})?")
Rows = dict[str, list[dict[str, Any]]]


@dataclass(frozen=True)
class World:
    a: str
    b: str
    ids_a: Ids
    ids_b: Ids
    markers: frozenset[str]  # every id in A's rows, and A's token
    snapshot: dict[str, Any]
    rows: Rows
    outbox: int


def seed(stack: Stack, tenant: str, token: str) -> Ids:
    async def run() -> Ids:
        async with stack.runtime.sessions() as session, session.begin():
            return await seed_tenant(session, tenant, token)

    return stack.call(run)


def with_api_key(stack: Stack, tenant: str, ids: Ids) -> Ids:
    created = "mutation($name: String!) { createApiKey(input: {name: $name}) { apiKey { id } } }"
    body = post(stack, created, {"name": f"Key {ids.token}"}, tenant)
    assert body.get("errors") is None, body
    return replace(ids, api_key=body["data"]["createApiKey"]["apiKey"]["id"])


def with_webhook(stack: Stack, tenant: str, ids: Ids) -> Ids:
    created = """mutation($url: String!) { createWebhookSubscription(input: {url: $url,
      events: ["deal.created"]}) { webhookSubscription { id } } }"""
    body = post(stack, created, {"url": f"http://127.0.0.1:9/{ids.token}"}, tenant)
    assert body.get("errors") is None, body
    return replace(
        ids, webhook=body["data"]["createWebhookSubscription"]["webhookSubscription"]["id"]
    )


# Columns the background workers set on their own schedule (the scheduler marks due tasks
# notified): bookkeeping, not the tenant's data. Consumers keep theirs in outbox_deliveries.
WORKER_COLUMNS = {"tasks": {"due_notified_at"}}


def tenant_rows(stack: Stack, tenant: str) -> Rows:
    """Every row of the tenant in every table (the outbox included), in primary key order,
    less the worker bookkeeping columns."""

    async def run() -> Rows:
        out: Rows = {}
        async with stack.runtime.engine.connect() as conn:
            for table in models.Base.metadata.sorted_tables:
                if "tenant_id" in table.c:
                    stmt = select(table).where(table.c.tenant_id == tenant)
                    result = await conn.execute(stmt.order_by(*table.primary_key.columns))
                    skip = WORKER_COLUMNS.get(table.name, set())
                    out[table.name] = [
                        {k: v for k, v in row.items() if k not in skip} for row in result.mappings()
                    ]
        return out

    return stack.call(run)


def outbox_count(stack: Stack, tenant: str) -> int:
    async def run() -> int:
        async with stack.runtime.engine.connect() as conn:
            stmt = select(models.OutboxEvent.id).where(models.OutboxEvent.tenant_id == tenant)
            return len((await conn.execute(stmt)).all())

    return stack.call(run)


def projected(
    stack: Stack, tenant: str, within: float = 60, consumer: str = GraphProjection.name
) -> None:
    """Waits until the graph projection (or another consumer) has taken every event of
    tenant: fields answered from the graph (hierarchy, relationships, totalDealValue) are
    current only then, and the rows of stage automation's runs are all written."""
    settled(stack, tenant, consumer, within)


def uuids_in(rows: Rows) -> set[str]:
    return {m.group() for m in UUID_RE.finditer(json.dumps(rows, default=str).lower())}


# Every list of the API, each as deep as the router allows, the clock's fields left out.
SNAPSHOT = {
    name: fitted(
        SCHEMA,
        lambda depth, name=name, t=t: (
            f"query {{ {name} {selection(SCHEMA, SCHEMA.type_map[t], depth, skip=VOLATILE)} }}"
        ),
    )
    for name, t in [
        ("accounts(first: 10)", "AccountConnection"),
        ("contacts(first: 10)", "ContactConnection"),
        ("deals(first: 10)", "DealConnection"),
        ("leads(first: 10)", "LeadConnection"),
        ("activities(first: 10)", "ActivityConnection"),
        ("pipelines", "Pipeline"),
    ]
}


def post(stack: Stack, query: str, variables: dict[str, Any], tenant: str, **kw: Any) -> Any:
    response = stack.graphql(query, variables, tenant=tenant, **kw)
    assert response.status_code == 200, response.text
    return response.json()


def a_snapshot(stack: Stack, tenant: str) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for query in SNAPSHOT.values():
        body = post(stack, query, {}, tenant)
        assert body.get("errors") is None, body
        data.update(body["data"])
    return data


@pytest.fixture(scope="module")
def world(stack: Stack) -> World:
    a, b = f"t_{uuid.uuid4().hex[:12]}", f"t_{uuid.uuid4().hex[:12]}"
    ids_a = seed(stack, a, f"alpha{uuid.uuid4().hex[:8]}")
    ids_b = seed(stack, b, f"beta{uuid.uuid4().hex[:8]}")
    if ("mutation", "createApiKey") in root_fields(SCHEMA):
        ids_a, ids_b = with_api_key(stack, a, ids_a), with_api_key(stack, b, ids_b)
    if ("mutation", "createWebhookSubscription") in root_fields(SCHEMA):
        ids_a, ids_b = with_webhook(stack, a, ids_a), with_webhook(stack, b, ids_b)
    # The seeded stage rule makes a task when a deal enters its stage.
    projected(stack, a, consumer=AutomationConsumer.name)
    rows = tenant_rows(stack, a)
    projected(stack, a)
    snapshot = a_snapshot(stack, a)
    counts = {k: v["totalCount"] for k, v in snapshot.items() if k != "pipelines"}
    assert counts == {"accounts": 4, "contacts": 3, "deals": 3, "leads": 2, "activities": 5}
    assert len(snapshot["pipelines"]) == 2
    return World(
        a=a, b=b, ids_a=ids_a, ids_b=ids_b,
        markers=frozenset(uuids_in(rows) | {ids_a.token}),
        snapshot=snapshot, rows=rows, outbox=outbox_count(stack, a),
    )  # fmt: skip


# checks --------------------------------------------------------------------------------------


def strings(value: Any) -> set[str]:
    if isinstance(value, str):
        return {value}
    if isinstance(value, dict):
        return set().union(*map(strings, value.values())) if value else set()
    if isinstance(value, list):
        return set().union(*map(strings, value)) if value else set()
    return set()


def leaks(body: Any, sent: set[str], markers: frozenset[str]) -> list[tuple[str, str]]:
    """(path, marker) for every string of the body holding A's id or token. What B sent may
    come back (an echoed input, a NOT_FOUND message naming the id asked for)."""
    found: list[tuple[str, str]] = []

    def walk(node: Any, path: str) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                walk(value, f"{path}.{key}")
        elif isinstance(node, list):
            for i, value in enumerate(node):
                walk(value, f"{path}[{i}]")
        elif isinstance(node, str) and node not in sent:
            text = node.lower()
            if path.endswith(".message"):
                for echoed in sent:
                    text = text.replace(echoed.lower(), "")
            found.extend((path, m) for m in markers if m in text)

    walk(body, "")
    return found


def normalized(body: Any, ids: Ids) -> str:
    """The body with ids' values named, and new ids and times blanked, for comparing an answer
    about A's ids with the answer about ids nobody has."""
    text = json.dumps(body, sort_keys=True)
    for name, value in sorted(ids.strings().items(), key=lambda kv: -len(kv[1])):
        if value:
            text = text.replace(value, f"<{name}>")
    return TIME_RE.sub("<time>", UUID_RE.sub("<uuid>", text))


def codes(body: Any) -> list[str | None]:
    return [(e.get("extensions") or {}).get("code") for e in body.get("errors") or []]


def check(body: Any, name: str, variant: Variant) -> None:
    errors, value = codes(body), (body.get("data") or {}).get(name)
    if variant.expect is Expect.NOTHING:
        if errors:
            assert set(errors) == {"NOT_FOUND"} and value is None, body
        else:
            empty_page = isinstance(value, dict) and (value["totalCount"], value["edges"]) == (
                0,
                [],
            )
            assert value is None or value == [] or empty_page, body
    elif variant.expect is Expect.REFUSED:
        assert errors and set(errors) <= variant.codes and value is None, body
    else:
        assert not errors, body
        if variant.expect is Expect.OWN:
            # A list, a connection (its totalCount), or a report object (non-empty).
            count = value.get("totalCount") if isinstance(value, dict) else None
            assert value if count is None else count > 0, body


def ask(stack: Stack, world: World, kind: str, name: str, variant: Variant, ids: Ids) -> Any:
    arguments = variant.args(ids, world.ids_b)
    body = post(stack, operation(SCHEMA, kind, name, arguments), arguments, world.b)
    if variant.undo is not None and body.get("data"):
        created = next(v for v in body["data"][name].values() if isinstance(v, dict))
        undo = {"id": created["id"]}
        body_undo = post(stack, operation(SCHEMA, "mutation", variant.undo, undo), undo, world.b)
        assert body_undo.get("errors") is None, body_undo
    return body


# the matrix ----------------------------------------------------------------------------------


def test_every_root_field_of_the_supergraph_has_a_case() -> None:
    roots = root_fields(SCHEMA)
    assert sorted(roots - set(CASES)) == [], "add these fields to tests/isolation_cases.CASES"
    assert sorted(set(CASES) - roots) == [], "these cases name fields the supergraph lacks"


def test_router_serves_the_supergraph_the_matrix_covers(stack: Stack) -> None:
    served = load_supergraph(stack.workdir / "supergraph.graphql")
    assert root_fields(served) == root_fields(SCHEMA)
    assert entity_types(served) == entity_types(SCHEMA)


@pytest.mark.parametrize(("kind", "name"), ROOTS, ids=[f"{k}-{n}" for k, n in ROOTS])
def test_other_tenant_ids_leak_nothing(stack: Stack, world: World, kind: str, name: str) -> None:
    variants = CASES.get((kind, name))
    assert variants, f"{kind} {name} has no case in tests/isolation_cases.CASES"
    for variant in variants:
        body = ask(stack, world, kind, name, variant, world.ids_a)
        sent = strings(variant.args(world.ids_a, world.ids_b))
        check(body, name, variant)
        assert leaks(body, sent, world.markers) == [], body
        if variant.expect is not Expect.OWN and variant.comparable:
            ghost = world.ids_a.faked()
            unknown = ask(stack, world, kind, name, variant, ghost)
            assert normalized(body, world.ids_a) == normalized(unknown, ghost)


def test_every_entity_has_an_owner() -> None:
    assert set(entity_types(SCHEMA)) == set(OWNERS) == set(ENTITY_IDS)


@pytest.mark.parametrize(
    ("typename", "graph"), ENTITIES, ids=[f"_entities-{t}-{g.lower()}" for t, g in ENTITIES]
)
def test_entities_of_other_tenant_ids_are_null(
    stack: Stack, world: World, typename: str, graph: str
) -> None:
    """Straight to the subgraph, as the router would ask it (with its secret). The owner loads
    nothing; the subgraphs that only extend the type add nothing an unknown id would not get."""
    sel = selection(SCHEMA, SCHEMA.type_map[typename], 1, graph=graph, omit=frozenset({"id"}))
    query = (
        f"query($r: [_Any!]!) {{ _entities(representations: $r) {{ ... on {typename} {sel} }} }}"
    )
    url = stack.subgraph_url(SUBGRAPHS[graph])
    router = {"x-router-secret": stack.router_secret}

    def lookup(ids: Ids) -> Any:
        refs = [{"__typename": typename, "id": id_} for id_ in ENTITY_IDS[typename](ids)]
        return post(stack, query, {"r": refs}, world.b, url=url, headers=router)

    body, ghost = lookup(world.ids_a), world.ids_a.faked()
    assert set(codes(body)) <= {"NOT_FOUND"}, body
    if OWNERS[typename] == graph:
        assert body["data"]["_entities"] == [None] * len(ENTITY_IDS[typename](world.ids_a)), body
    assert leaks(body, set(), world.markers) == [], body
    assert normalized(body, world.ids_a) == normalized(lookup(ghost), ghost)


CONVERT = """mutation($lead: CreateLeadInput!) { createLead(input: $lead) { lead { id } } }"""
CONVERTED = """mutation($id: ID!) { convertLead(leadId: $id, input: {createAccount: true}) {
  account { id name } contact { id } } }"""
DELETE = "mutation($id: ID!) {{ {}(id: $id) {{ deleted }} }}"


def test_converting_a_lead_never_links_another_tenants_account_by_name(
    stack: Stack, world: World
) -> None:
    """convertLead links the account named like the lead's company: only the caller's."""
    lead = {"firstName": "N", "lastName": "N", "email": f"n.{world.ids_b.token}@crm.test",
            "source": "web", "company": world.ids_a.account_name}  # fmt: skip
    created = post(stack, CONVERT, {"lead": lead}, world.b)["data"]["createLead"]["lead"]
    body = post(stack, CONVERTED, {"id": created["id"]}, world.b)
    assert body.get("errors") is None, body
    made = body["data"]["convertLead"]
    for mutation, id_ in [("deleteContact", made["contact"]["id"]),
                          ("deleteAccount", made["account"]["id"]),
                          ("deleteLead", created["id"])]:  # fmt: skip
        assert post(stack, DELETE.format(mutation), {"id": id_}, world.b).get("errors") is None

    assert made["account"]["name"] == world.ids_a.account_name
    assert made["account"]["id"] not in world.markers


def test_tenant_a_is_unchanged_after_the_matrix(stack: Stack, world: World) -> None:
    """Runs last (file order): whatever the matrix did as B, A's data and events are intact
    and none of B's rows points at A's."""
    projected(stack, world.a)
    assert a_snapshot(stack, world.a) == world.snapshot
    assert outbox_count(stack, world.a) == world.outbox
    assert tenant_rows(stack, world.a) == world.rows
    assert uuids_in(tenant_rows(stack, world.b)) & world.markers == set()
