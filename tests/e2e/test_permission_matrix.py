"""Every Query and Mutation field and every entity type against every role of the API
design, through the real stack: allowed and denied as crmgraph.auth.needs declares.

The expectation is worked out here from the declaration and the roles' permission lists
(rbac.ROLE_PERMISSIONS): a denied caller gets FORBIDDEN naming the permissions of the need it
fails; an allowed one gets anything but FORBIDDEN (NOT_FOUND, CONFLICT, ... are answers).
Each role asks as the user owning the tenant's rows and as a colleague owning none, so the
`own` level of a sales rep is checked both ways."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from graphql import GraphQLInputType, coerce_input_value

from crmgraph.auth import needs, rbac, read_needs
from tests.isolation_cases import (
    CASES,
    ENTITY_IDS,
    Ids,
    entity_types,
    graph_urls,
    load_supergraph,
    operation,
    seed_tenant,
)
from tests.stack import Stack

SCHEMA = load_supergraph()
ROLES = sorted(rbac.ROLE_PERMISSIONS)
ROOTS = sorted(k for k in CASES)
SUBGRAPHS = graph_urls(SCHEMA)
ENTITIES = [(t, g) for t, graphs in sorted(entity_types(SCHEMA).items()) for g in graphs]
# Arguments other than the isolation cases' first: convertLead making a deal as well.
ARGS = {
    ("mutation", "convertLead"): lambda a: {"leadId": a.lead, "input": {"createDeal": True}},
}


def snake(name: str) -> str:
    return re.sub(r"(?<!^)([A-Z])", r"_\1", name).lower()


def python_args(kind: str, name: str, args: dict[str, Any]) -> dict[str, Any]:
    """The arguments as the resolver sees them: input defaults filled, snake_case names."""
    root = SCHEMA.query_type if kind == "query" else SCHEMA.mutation_type
    assert root is not None
    field = root.fields[name]

    def convert(value: Any) -> Any:
        if isinstance(value, dict):
            return {snake(k): convert(v) for k, v in value.items()}
        return value

    out = {}
    for arg, value in args.items():
        arg_type: GraphQLInputType = field.args[arg].type
        out[snake(arg)] = convert(coerce_input_value(value, arg_type))
    return out


def expected(key: str, role: str, owner: bool, args: dict[str, Any]) -> list[str] | None:
    """The permissions of the first need the role fails, None if it passes them all."""
    return expected_of(key, rbac.permissions_for([role]), owner, args)


def expected_of(
    key: str, held: frozenset[str], owner: bool, args: dict[str, Any]
) -> list[str] | None:
    """The permissions of the first need `held` fails, None if it passes them all."""
    for need in needs.FIELDS[key]:
        if need.when is not None and not need.when(args):
            continue
        levels = {g.level for g in (rbac.grant(held, *p.split(":", 1)) for p in need.any_of)
                  if g.allowed}  # fmt: skip
        if need.tenant_wide and "tenant" not in levels:
            return list(need.any_of)
        # Below the tenant level an owner's need passes only for the caller's own row, named.
        named = need.owner is not None and needs.argument(args, need.owner.argument) is not None
        if not levels or (
            "tenant" not in levels and need.owner is not None and not (owner and named)
        ):
            return list(need.any_of)
    return None


def owner_dependent(key: str, role: str, args: dict[str, Any]) -> bool:
    return expected(key, role, True, args) != expected(key, role, False, args)


def seed(stack: Stack) -> tuple[str, Ids]:
    tenant = f"t_{uuid.uuid4().hex[:12]}"

    async def run() -> Ids:
        async with stack.runtime.sessions() as session, session.begin():
            return await seed_tenant(session, tenant, f"m{uuid.uuid4().hex[:8]}")

    ids = stack.call(run)
    created = 'mutation { createApiKey(input: {name: "k"}) { apiKey { id } } }'
    body = stack.graphql(created, tenant=tenant).json()
    key = body["data"]["createApiKey"]["apiKey"]["id"]
    hook = """mutation { createWebhookSubscription(input: {url: "http://127.0.0.1:9/m",
      events: ["deal.created"]}) { webhookSubscription { id } } }"""
    made = stack.graphql(hook, tenant=tenant).json()["data"]["createWebhookSubscription"]
    return tenant, Ids(**{**ids.strings(), "api_key": key,
                          "webhook": made["webhookSubscription"]["id"]})  # fmt: skip


def ask(stack: Stack, tenant: str, role: str, user: str, query: str, args: Any, **kw: Any) -> Any:
    """Through the router, or, with url=, straight to a subgraph as the router asks it."""
    token = stack.token(tenant, user_id=user, roles=(role,))
    headers = {"authorization": f"Bearer {token}"}
    if "url" in kw:
        headers["x-router-secret"] = stack.router_secret
    response = stack.graphql(query, args, headers=headers, **kw)
    assert response.status_code == 200, response.text
    return response.json()


def check(body: Any, wanted: list[str] | None, what: str) -> None:
    errors = body.get("errors") or []
    forbidden = [e for e in errors if (e.get("extensions") or {}).get("code") == "FORBIDDEN"]
    if wanted is None:
        assert forbidden == [], f"{what}: allowed by the declaration, but {body}"
    else:
        assert len(forbidden) == 1 and len(errors) == 1, f"{what}: should be denied: {body}"
        assert forbidden[0]["extensions"]["required_permissions"] == wanted, (what, body)
        assert (body.get("data") or {}).get(what.split()[0]) is None, body


@pytest.fixture(scope="module")
def readers(stack: Stack) -> tuple[str, Ids]:
    """One tenant for the reads: they change nothing."""
    return seed(stack)


@pytest.mark.parametrize(("kind", "name"), ROOTS, ids=[f"{k}-{n}" for k, n in ROOTS])
def test_every_role_is_allowed_or_denied_as_declared(
    stack: Stack, readers: tuple[str, Ids], kind: str, name: str
) -> None:
    """A fresh tenant per mutation, as what one allowed caller does (delete a row) must not
    change what the next one is asked about. Callers whose answer depends on owning the
    row go first, while the row is there."""
    tenant, ids = readers if kind == "query" else seed(stack)
    make = ARGS.get((kind, name)) or (lambda a: CASES[(kind, name)][0].args(a, a))
    args = make(ids)
    key = f"{kind.capitalize()}.{name}"
    py = python_args(kind, name, args)
    callers = [(role, owner) for role in ROLES for owner in (False, True)]
    callers.sort(key=lambda c: not owner_dependent(key, c[0], py))
    assert sum(owner_dependent(key, r, py) for r in ROLES) <= 1, "one such role per tenant"
    query = operation(SCHEMA, kind, name, args, shallow=True)
    for role, owner in callers:
        user = ids.user if owner else str(uuid.uuid4())
        body = ask(stack, tenant, role, user, query, args)
        check(body, expected(key, role, owner, py), f"{name} as {role} (owner: {owner})")


@pytest.mark.parametrize(
    ("typename", "graph"), ENTITIES, ids=[f"_entities-{t}-{g.lower()}" for t, g in ENTITIES]
)
def test_every_role_resolves_entities_as_declared(
    stack: Stack, readers: tuple[str, Ids], typename: str, graph: str
) -> None:
    """Straight to each subgraph that resolves the type, as the router asks it."""
    tenant, ids = readers
    query = (
        f"query($r: [_Any!]!) {{ _entities(representations: $r) {{ ... on {typename} {{ id }} }} }}"
    )
    refs = [{"__typename": typename, "id": ENTITY_IDS[typename](ids)[0]}]
    url = f"http://127.0.0.1:{stack.ports[SUBGRAPHS[graph]]}/graphql"
    for role in ROLES:
        body = ask(stack, tenant, role, ids.user, query, {"r": refs}, url=url)
        held = rbac.permissions_for([role])
        permission = read_needs.ENTITIES[typename]
        allowed = rbac.grant(held, *permission.split(":", 1)).allowed
        check(body, None if allowed else [permission], f"_entities as {role}")
        if allowed:
            assert body["data"]["_entities"] == [{"id": refs[0]["id"]}], body


# Reports, analytics, dashboards and forecasts name no owner. Whether a sales rep may read
# each (the API design's role, whose reads are tenant-level), and whether a rep of a tenant's
# own role with reads at the `own` level may: not where the answer counts other users' deals
# or activities (crmgraph.auth.needs marks those tenant_wide); a rep's own figures, named by
# user id, and a tenant's settings, which are no one's rows, yes.
OWN_READS = frozenset({
    "accounts:read:own", "activities:read:own", "campaigns:read:own", "contacts:read:own",
    "deals:read:own", "leads:read:own", "pipelines:read", "reports:sales:own",
})  # fmt: skip
AGGREGATES = {  # name: (sales rep, own-level reads)
    "dashboardData": (False, False),  # the whole tenant's sales
    "dealForecast": (True, False),  # every user's deals of the pipeline
    "pipelineAnalytics": (True, False),
    "pipelineReport": (True, False),
    "customerHealth": (True, False),  # every user's deals and activities of the account
    "revenueAttribution": (False, False),  # every user's won deals; a rep has no campaigns
    "performanceMetrics": (True, True),  # the caller's own figures
    "salesDashboard": (True, True),
    "leadScoringRules": (True, True),  # the tenant's settings
    "customerHealthWeights": (True, True),
}


@pytest.mark.parametrize("name", sorted(AGGREGATES))
def test_reports_naming_no_owner_are_decided_for_own_level_grants(
    stack: Stack, readers: tuple[str, Ids], name: str
) -> None:
    tenant, ids = readers
    args = CASES[("query", name)][0].args(ids, ids)
    key, py = f"Query.{name}", python_args("query", name, args)
    query = operation(SCHEMA, "query", name, args, shallow=True)
    for held, allowed in zip(
        (rbac.permissions_for(["sales_rep"]), OWN_READS), AGGREGATES[name], strict=True
    ):
        wanted = expected_of(key, held, True, py)
        assert (wanted is None) == allowed, f"{key} declared otherwise for {sorted(held)}"
        token = stack.token(tenant, user_id=ids.user, roles=(), permissions=tuple(sorted(held)))
        body = stack.graphql(query, args, headers={"authorization": f"Bearer {token}"}).json()
        check(body, wanted, f"{name} with {sorted(held)}")
