"""crmgraph.auth.needs covers the whole supergraph, and every subgraph checks what it says."""

from __future__ import annotations

from typing import cast

import pytest
import strawberry
from graphql import GraphQLObjectType
from starlette.requests import Request
from strawberry.permission import PermissionExtension
from strawberry.types.base import get_object_definition

from crmgraph.auth import needs, read_needs, route_needs
from crmgraph.events.topics import Topic
from crmgraph.gql.permissions import Checked, attach, declared
from crmgraph.gql.schema import build_schema
from crmgraph.rest.app import all_operations
from crmgraph.rest.auth import scope_of
from crmgraph.runtime import Runtime
from subgraphs.registry import NAMES, load_schema
from tests.isolation_cases import entity_types, graph_urls, in_graph, load_supergraph

SCHEMA = load_supergraph()
ROOT_TYPES = [SCHEMA.query_type, SCHEMA.mutation_type, SCHEMA.subscription_type]


def supergraph_fields() -> set[str]:
    return {
        f"{name}.{field}"
        for name, t in SCHEMA.type_map.items()
        if isinstance(t, GraphQLObjectType) and not name.startswith("_")
        for field in t.fields
    }


def test_every_root_field_of_the_supergraph_is_declared() -> None:
    roots = {f"{t.name}.{f}" for t in ROOT_TYPES if t is not None for f in t.fields}
    assert sorted(roots - set(needs.FIELDS)) == []


def test_every_declared_field_is_in_the_supergraph() -> None:
    assert sorted(set(needs.FIELDS) - supergraph_fields()) == []


def test_every_entity_type_is_declared() -> None:
    assert set(read_needs.ENTITIES) == set(entity_types(SCHEMA))


def test_every_topic_a_subscriber_or_the_feed_reads_is_declared() -> None:
    # Every topic there is (subscribers and the feed can only name these).
    assert {t for t in Topic if t.aggregate not in read_needs.EVENTS} == set()


@pytest.mark.parametrize("name", NAMES)
def test_each_subgraph_checks_the_declared_fields_it_resolves(name: str) -> None:
    """Every field the supergraph says this subgraph resolves, and the table lists, carries
    the declared check; no field carries a check of another kind."""
    graph = {v: k for k, v in graph_urls(SCHEMA).items()}[name]
    built = load_schema(name)
    checked, other = set(), []
    for type_name, t in built.schema_converter.type_map.items():
        for field in getattr(t.definition, "fields", []):
            key = f"{type_name}.{built.config.name_converter.get_graphql_name(field)}"
            extensions = [e for e in field.extensions if isinstance(e, PermissionExtension)]
            # A mixin's field may be one object shared by several types: same needs, one key.
            checked.update(
                key
                for e in extensions
                if isinstance(e, Checked) and needs.FIELDS[e.key] == needs.FIELDS.get(key)
            )
            other.extend(key for e in extensions if not isinstance(e, Checked))
    resolved = {
        f"{owner}.{field}"
        for owner, t in SCHEMA.type_map.items()
        if isinstance(t, GraphQLObjectType) and t.ast_node is not None
        for field, f in t.fields.items()
        if f.ast_node is not None and in_graph(t, f, graph)
    }

    assert other == []
    assert checked == set(needs.FIELDS) & resolved


def test_a_root_field_without_a_declaration_is_refused() -> None:
    @strawberry.type
    class Query:
        @strawberry.field
        def undeclared(self) -> int:
            return 1

    with pytest.raises(TypeError, match=r"Query.undeclared has no entry"):
        build_schema(query=Query)


def test_a_field_with_permission_classes_of_its_own_is_refused() -> None:
    @strawberry.type
    class Account:
        @strawberry.field(permission_classes=[declared("Account.deals")])
        def deals(self) -> int:
            return 1

    with pytest.raises(TypeError, match=r"Account.deals: declare its permissions"):
        attach([Account])
    assert len(get_object_definition(Account, strict=True).fields[0].extensions) == 1


CONVERT = needs.FIELDS["Mutation.convertLead"]


class Input:
    def __init__(self, **given: object) -> None:
        defaults = {"create_contact": True, "contact_id": None, "create_account": True,
                    "account_id": None, "create_deal": False}  # fmt: skip
        self.__dict__.update(defaults | given)


@pytest.mark.parametrize(
    ("given", "wanted"),
    [
        ({}, ["leads:write", "contacts:write", "accounts:write"]),
        ({"create_deal": True}, ["leads:write", "contacts:write", "accounts:write", "deals:write"]),
        ({"create_account": False, "create_contact": False}, ["leads:write"]),
        ({"account_id": "a", "contact_id": "c"}, ["leads:write", "contacts:write"]),
    ],
)
def test_convert_lead_needs_the_write_permission_of_what_it_makes(
    given: dict[str, object], wanted: list[str]
) -> None:
    args = {"lead_id": "l", "input": Input(**given)}
    applying = [n for n in CONVERT if n.when is None or n.when(args)]
    assert [p for n in applying for p in n.any_of] == wanted


@pytest.mark.parametrize(
    ("held", "topic", "receives"),
    [
        ({"activities:read"}, "deal.updated", False),
        ({"activities:read"}, "lead.scored", False),
        ({"activities:read"}, "task.due", True),
        ({"deals:read"}, "deal.stage_changed", True),
        ({"tenant:*"}, "lead.scored", True),
        ({"*"}, "nobody.declared_this", False),
    ],
)
def test_events_need_the_read_permission_of_what_they_carry(
    held: set[str], topic: str, receives: bool
) -> None:
    assert read_needs.may_receive(held, topic) is receives


async def test_scope_of_checks_bearer_routes_only() -> None:
    # A signature route's need is no permission: checking it as one is a programming error.
    with pytest.raises(TypeError, match="signature"):
        await scope_of(cast(Request, None), cast(Runtime, None), needs=route_needs.ZOHO_SIGNED)


def test_every_declared_route_is_a_route_of_the_rest_shim() -> None:
    nobody = cast(Runtime, None)  # routes only keep it for their requests
    operations, _ = all_operations(nobody)
    served = {op.key for op in operations}
    # Health and the probes for load balancers, the document, the token exchange (its own
    # credentials) and the router's introspection (the router's secret).
    public = {"GET /health", "GET /livez", "GET /readyz", "GET /openapi.json", "GET /docs",
              "POST /oauth2/token", "POST /internal/introspect"}  # fmt: skip
    assert set(route_needs.ROUTES) == served - public
    # Zoho's webhooks are proven by the organisation's signature or token, not a bearer.
    signed = {
        key for key, need in route_needs.ROUTES.items() if need.auth is route_needs.Auth.SIGNATURE
    }
    assert {op.key for op in operations if not op.permissions} == public | signed
    assert {op.key for op in operations if op.signer == route_needs.ZOHO_ORG} == signed


@pytest.mark.parametrize(
    ("auth", "fields"),
    [
        (route_needs.Auth.BEARER, {}),
        (route_needs.Auth.BEARER, {"signer": route_needs.ZOHO_ORG}),
        (route_needs.Auth.BEARER, {"permissions": ("deals:read",), "signer": route_needs.ZOHO_ORG}),
        (route_needs.Auth.SIGNATURE, {}),
        (route_needs.Auth.SIGNATURE, {"permissions": ("deals:read",)}),
    ],
)
def test_a_route_need_has_the_field_of_its_kind_only(
    auth: route_needs.Auth, fields: dict[str, object]
) -> None:
    with pytest.raises(ValueError, match="needs exactly its own field"):
        route_needs.RouteNeed(auth, **fields)


def test_the_health_route_needs_what_its_graphql_twin_needs() -> None:
    route = route_needs.ROUTES["GET /api/v1/analytics/customer-health/{account_id}"]

    assert route.permissions == ("accounts:read", "deals:read", "activities:read")
    assert [n.any_of for n in needs.FIELDS["Query.customerHealth"]] == [
        (p,) for p in route.permissions
    ]


def test_a_route_takes_only_plain_permissions_of_a_field() -> None:
    with pytest.raises(ValueError, match="plain permissions"):
        route_needs.all_of(needs.need("deals:move_stage", "deals:write"))
    with pytest.raises(ValueError, match="plain permissions"):
        route_needs.all_of(needs.need("deals:write", owner=("id", "deal")))
    # a route's permissions pass only at the tenant level, as a tenant-wide need's do
    assert route_needs.all_of(needs.need("deals:read", tenant_wide=True)) == ("deals:read",)
