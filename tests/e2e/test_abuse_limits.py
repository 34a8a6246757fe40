"""Abuse limits at the router: refused before any subgraph runs, each with its own code."""

from __future__ import annotations

import json
import os
import socket
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.test_deals_api import GET_DEALS_WITH_COMPLEX_FILTER
from tests.routers import NATIVE, extra_router, per_router
from tests.stack import Stack

# 004's "AccountHierarchyWithDeals", unchanged: 10 levels deep, under the limit of 12.
ACCOUNT_HIERARCHY_WITH_DEALS = (
    Path(__file__).parents[1] / "data" / "account_hierarchy_with_deals.graphql"
).read_text()


def nested(depth: int) -> str:
    """A valid query `depth` fields deep: deals > edges > node > contact > (account > ...)."""
    chain = ["deals(first: 1)", "edges", "node", "contact"]
    cycle = ["account", "contacts(first: 1)", "edges", "node"]
    while len(chain) < depth - 1:
        chain.append(cycle[(len(chain) - 4) % len(cycle)])
    leaf = "id" if chain[-1] in ("node", "contact", "account") else "__typename"
    return "{ " + " { ".join(chain) + " { " + leaf + " }" * len(chain) + " }"


def refused(stack: Stack, query: str, variables: dict[str, Any] | None = None, **kw: Any) -> Any:
    """The errors of a request that must not reach any subgraph."""
    requests = dict(stack.requests)
    with stack.counting_statements() as statements:
        response = stack.graphql(query, variables, **kw)
    assert statements[0] == 0
    assert stack.requests == requests
    body = response.json()
    assert body.get("data") is None, body
    return body["errors"]


def codes(errors: list[dict[str, Any]]) -> list[str]:
    return [e["extensions"]["code"] for e in errors]


def priced(
    stack: Stack, query: str, variables: dict[str, Any] | None = None, **kw: Any
) -> tuple[str, int | None]:
    """("refused", the estimate) when the router refused the operation for its cost before any
    subgraph ran, else ("ran", the estimate when the router tells it): Hive Gateway states it
    in a refusal's `extensions.cost`, Hive Router in `X-Cost-Estimated` on every answer."""
    requests = dict(stack.requests)
    with stack.counting_statements() as statements:
        response = stack.graphql(query, variables, **kw)
    body = response.json()
    native = response.headers.get("x-cost-estimated")
    if "COST_ESTIMATED_TOO_EXPENSIVE" not in codes(body.get("errors", [])):
        assert "errors" not in body, body
        return "ran", per_router(None, native and int(native))
    assert stack.requests == requests and statements[0] == 0
    assert body.get("data") is None and codes(body["errors"]) == ["COST_ESTIMATED_TOO_EXPENSIVE"]
    error = body["errors"][0]
    headers = response.headers
    native_cost = NATIVE and {"estimated": int(native), "max": int(headers["x-cost-max"])}
    cost = native_cost or error["extensions"]["cost"]
    assert cost["max"] == 8000
    assert error["message"] == per_router(
        f"Query cost {cost['estimated']} exceeds the maximum of 8000",
        "Operation estimated cost exceeds max cost",
    )
    return "refused", int(cost["estimated"])


def test_query_deeper_than_the_limit_is_refused_before_any_subgraph_runs(
    stack: Stack, tenant: str
) -> None:
    errors = refused(stack, nested(13), tenant=tenant)

    assert codes(errors) == ["MAX_DEPTH_EXCEEDED"]
    assert errors[0]["message"] == per_router(
        "Query depth limit of 12 exceeded, found 13.", "Query depth limit exceeded."
    )
    assert errors[0]["extensions"].get("limit") == per_router(12, None)


def test_query_at_the_depth_limit_runs(stack: Stack, tenant: str) -> None:
    body = stack.graphql(nested(12), tenant=tenant).json()

    assert body == {"data": {"deals": {"edges": []}}}


def test_fragments_do_not_count_as_depth(stack: Stack, tenant: str) -> None:
    head, tail = "{ deals(first: 1) { ", " } }"
    inner = nested(12).removeprefix(head).removesuffix(tail)
    query = head + "...Page" + tail + " fragment Page on DealConnection { " + inner + " }"

    assert stack.graphql(query, tenant=tenant).json() == {"data": {"deals": {"edges": []}}}


def test_too_many_aliases_are_refused(stack: Stack, tenant: str) -> None:
    query = "{ " + " ".join(f"a{i}: deals(first: 1) {{ totalCount }}" for i in range(31)) + " }"

    errors = refused(stack, query, tenant=tenant)

    assert codes(errors) == ["MAX_ALIASES_EXCEEDED"]
    assert errors[0]["message"] == per_router(
        "Aliases limit of 30 exceeded, found 31.", "Aliases limit exceeded."
    )


def test_thirty_aliases_are_accepted(stack: Stack, tenant: str) -> None:
    query = "{ " + " ".join(f"a{i}: deals(first: 1) {{ totalCount }}" for i in range(30)) + " }"

    body = stack.graphql(query, tenant=tenant).json()

    assert body == {"data": {f"a{i}": {"totalCount": 0} for i in range(30)}}


def test_lists_in_lists_over_the_cost_limit_are_refused(stack: Stack, tenant: str) -> None:
    query = """{ deals(first: 100) { edges { node { title
        activities(first: 100) { edges { node { ... on Task { title } } } } } } } }"""

    # Hive Router prices each deal's activities (another subgraph) as 20 deals' worth
    # (README: Limits): 100 + 20 x (1 + 100), under the limit.
    assert priced(stack, query, tenant=tenant) == per_router(
        ("refused", 100 + 100 * 100), ("ran", 100 + 20 * (1 + 100))
    )


def test_cost_reads_page_sizes_from_variables_and_pagination(stack: Stack, tenant: str) -> None:
    query = """query($n: Int) { contacts(pagination: {first: $n}) { edges { node {
        deals(first: $n) { edges { node { title } } } } } } }"""

    # The pagination input object costs 1.
    assert priced(stack, query, {"n": 90}, tenant=tenant) == per_router(
        ("refused", 1 + 90 + 90 * 90), ("ran", 1 + 90 + 20 * (1 + 90))
    )
    assert priced(stack, query, {"n": 80}, tenant=tenant) == per_router(
        ("ran", None), ("ran", 1 + 80 + 20 * (1 + 80))
    )
    assert stack.graphql(query, {"n": 80}, tenant=tenant).json() == {
        "data": {"contacts": {"edges": []}}
    }


def test_missing_page_size_costs_the_default_page(stack: Stack, tenant: str) -> None:
    # 20 contacts x 20 deals x 20 activities, each list without first; with Hive Router each
    # subgraph's part is priced for 20 parents (README: Limits).
    query = """{ contacts { edges { node { deals { edges { node {
        activities { edges { node { __typename } } } } } } } } } }"""

    assert priced(stack, query, tenant=tenant) == per_router(
        ("refused", 20 + 400 + 8000), ("ran", 20 + 20 * (1 + 20) + 20 * (1 + 20))
    )


def test_plain_lists_cost_their_declared_bound_at_every_level(stack: Stack, tenant: str) -> None:
    # 20 pipelines x 20 stages x 10 rules x 10 conditions (router-config/list-sizes.json).
    values = "{ pipelines { stages { automationRules { conditions { field } } } } }"
    rules = "{ pipelines { id stages { id automationRules { trigger } } } }"

    assert priced(stack, values, tenant=tenant) == ("refused", 20 + 400 + 4_000 + 40_000)
    assert stack.graphql(rules, tenant=tenant).json() == {"data": {"pipelines": []}}


# Six fields deep. DealStageChange has no id, yet each stageHistory holds up to 100 moves.
STAGE_HISTORY_CYCLE = """query($id: ID!) { deal(id: $id) { stageHistory { deal {
    stageHistory { deal { id } } } } } }"""
CHILD_ACCOUNTS_CYCLE = """query($id: ID!) { account(id: $id) { childAccounts { childAccounts {
    childAccounts { childAccounts { id } } } } } }"""


@pytest.mark.parametrize(
    ("query", "estimated"),
    [
        (STAGE_HISTORY_CYCLE, 1 + 100 + 100 + 10_000 + 10_000),
        (CHILD_ACCOUNTS_CYCLE, 1 + 20 + 400 + 8_000 + 160_000),
    ],
    ids=["stageHistory", "childAccounts"],
)
def test_cycle_is_priced_at_every_level(
    stack: Stack, tenant: str, query: str, estimated: int
) -> None:
    assert priced(stack, query, {"id": str(uuid.uuid4())}, tenant=tenant) == ("refused", estimated)


def test_wide_alias_attack_on_a_small_list_is_refused(stack: Stack, tenant: str) -> None:
    # 30 aliases (the alias limit), each 301: a deal, its history and two objects per move.
    one = "deal(id: $id) { stageHistory { changedBy { id } deal { id } } }"
    query = "query($id: ID!) { " + " ".join(f"a{i}: {one}" for i in range(30)) + " }"

    assert priced(stack, query, {"id": str(uuid.uuid4())}, tenant=tenant) == (
        "refused",
        30 * (1 + 100 + 100 + 100),
    )


def test_aliases_inside_a_nested_list_multiply_its_size(stack: Stack, tenant: str) -> None:
    aliases = " ".join(f"a{i}: stageHistory {{ newStage }}" for i in range(30))
    query = "{ deals(first: 100) { edges { node { " + aliases + " } } } }"

    assert priced(stack, query, tenant=tenant) == ("refused", 100 + 30 * 100 * 100)


def test_too_many_tokens_are_refused(stack: Stack, tenant: str) -> None:
    query = "{ deals(first: 1) { " + "totalCount " * 2000 + "} }"

    errors = refused(stack, query, tenant=tenant)

    assert codes(errors) == ["MAX_TOKENS_EXCEEDED"]
    assert errors[0]["message"] == per_router(
        "Token limit of 2000 exceeded.", "Token limit exceeded."
    )


def test_body_over_one_megabyte_is_refused_with_413(stack: Stack, tenant: str) -> None:
    padding = " " * 1_000_001
    with stack.counting_statements() as statements:
        response = httpx.post(
            stack.router_url,
            content=json.dumps({"query": "{ __typename }" + padding}),
            headers={"content-type": "application/json"},
            timeout=30,
        )

    assert statements[0] == 0
    assert response.status_code == 413
    assert codes(response.json()["errors"]) == ["REQUEST_ENTITY_TOO_LARGE"]


def test_chunked_body_over_the_limit_is_refused(stack: Stack) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"query": "{ __typename }'
        for _ in range(20):
            yield b" " * 100_000
        yield b'"}'

    response = httpx.post(
        stack.router_url,
        content=chunks(),
        headers={"content-type": "application/json"},
        timeout=30,
    )

    assert response.status_code == 413
    assert codes(response.json()["errors"]) == ["REQUEST_ENTITY_TOO_LARGE"]


def test_complex_filter_query_of_the_design_is_within_every_limit(
    stack: Stack, tenant: str
) -> None:
    query = GET_DEALS_WITH_COMPLEX_FILTER.replace(', after: "cursor123"', "")

    body = stack.graphql(query, tenant=tenant).json()

    assert body.get("errors") is None, body
    assert body["data"]["deals"]["totalCount"] == 0


def test_account_hierarchy_query_of_the_design_is_within_every_limit(
    stack: Stack, tenant: str
) -> None:
    created = stack.graphql(
        'mutation { createAccount(input: {name: "Root"}) { account { id } } }', tenant=tenant
    ).json()
    account_id = created["data"]["createAccount"]["account"]["id"]

    body = stack.graphql(
        ACCOUNT_HIERARCHY_WITH_DEALS, {"accountId": account_id}, tenant=tenant
    ).json()

    assert body == {
        "data": {
            "account": {
                "id": account_id,
                "name": "Root",
                "hierarchy": {"parent": None, "children": []},
                "deals": {"edges": []},
            }
        }
    }


def test_field_suggestions_are_shown_while_introspection_is_on(stack: Stack, tenant: str) -> None:
    errors = stack.graphql("{ deals(first: 1) { totalCont } }", tenant=tenant).json()["errors"]

    assert errors[0]["message"].startswith('Cannot query field "totalCont"')
    # Hive Router 0.2.0 suggests no fields at all.
    suggested = 'Did you mean "totalCount"?' in errors[0]["message"]
    assert suggested == per_router(True, False)


# A second router with introspection off, one subgraph answering 500 with a traceback and
# one down, and NODE_ENV=development (which turns Yoga's error details on by default).


class _Failing(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length", 0)))
        body = b'Traceback (most recent call last):\n  File "/srv/deals.py"\nRuntimeError: boom'
        self.send_response(500)
        self.send_header("content-type", "text/plain")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_: object) -> None:
        pass


@pytest.fixture(scope="module")
def locked_router(stack: Stack) -> Iterator[str]:
    failing = HTTPServer(("127.0.0.1", 0), _Failing)
    threading.Thread(target=failing.serve_forever, daemon=True).start()
    # Bound but never listening: connections are refused, and no other process (another test
    # run binding a port of the kernel's choice) can take the port while we hold it.
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    down = closed.getsockname()[1]
    env = {
        **os.environ,
        **stack._subgraph_env(),
        "CRMGRAPH_DEALS_URL": f"http://127.0.0.1:{failing.server_address[1]}/graphql",
        "CRMGRAPH_LEADS_URL": f"http://127.0.0.1:{down}/graphql",
        "CRMGRAPH_INTROSPECTION": "false",
        "CRMGRAPH_DEBUG": "false",
        "NODE_ENV": "development",
    }
    env.pop("DEBUG", None)
    try:
        with extra_router(stack, env, "locked-router") as url:
            yield url
    finally:
        failing.shutdown()
        closed.close()


def test_introspection_can_be_turned_off(stack: Stack, tenant: str, locked_router: str) -> None:
    errors = refused(stack, "{ __schema { types { name } } }", tenant=tenant, url=locked_router)

    disabled = per_router("introspection has been disabled", "Introspection queries are disabled")
    assert disabled in errors[0]["message"]


def test_type_lookup_is_refused_without_introspection(
    stack: Stack, tenant: str, locked_router: str
) -> None:
    errors = refused(stack, '{ __type(name: "Deal") { name } }', tenant=tenant, url=locked_router)

    disabled = per_router("introspection has been disabled", "Introspection queries are disabled")
    assert disabled in errors[0]["message"]


def test_typename_still_works_without_introspection(
    stack: Stack, tenant: str, locked_router: str
) -> None:
    body = stack.graphql("{ __typename }", tenant=tenant, url=locked_router).json()

    assert body == {"data": {"__typename": "Query"}}


def test_no_field_suggestions_without_introspection(
    stack: Stack, tenant: str, locked_router: str
) -> None:
    query = "{ contacts(first: 1) { totalCont } }"

    errors = stack.graphql(query, tenant=tenant, url=locked_router).json()["errors"]

    assert "Did you mean" not in errors[0]["message"]
    assert "totalCount" not in errors[0]["message"]


def test_subgraph_500_reaches_the_client_without_its_traceback(
    stack: Stack, tenant: str, locked_router: str
) -> None:
    body = stack.graphql("{ deals(first: 1) { totalCount } }", tenant=tenant, url=locked_router)

    assert "Traceback" not in body.text and "boom" not in body.text
    assert body.json() == per_router(
        {
            "data": None,
            "errors": [
                {
                    "message": "Unexpected error.",
                    "path": ["deals"],
                    "extensions": {"code": "INTERNAL_SERVER_ERROR"},
                }
            ],
        },
        {
            "data": None,
            "errors": [
                {
                    "message": "Invalid content type returned from subgraph 'deals': 'text/plain'",
                    "extensions": {"code": "SUBREQUEST_MALFORMED_RESPONSE"},
                }
            ],
        },
    )


def test_subgraph_that_is_down_is_reported_without_details(
    stack: Stack, tenant: str, locked_router: str
) -> None:
    body = stack.graphql("{ leads(first: 1) { totalCount } }", tenant=tenant, url=locked_router)

    # Hive Gateway: unreachable is SERVICE_UNAVAILABLE (router-config/subgraph-faults.ts),
    # the subgraph named, its address not.
    assert body.json() == per_router(
        {
            "data": None,
            "errors": [
                {
                    "message": "the leads service is unavailable; try again in 5 s",
                    "locations": [{"line": 1, "column": 3}],
                    "path": ["leads"],
                    "extensions": {"code": "SERVICE_UNAVAILABLE", "retryAfter": 5},
                }
            ],
        },
        {
            "data": None,
            "errors": [
                {
                    "message": "Failed to send request to subgraph: client error (Connect)",
                    "extensions": {"code": "SERVICE_UNAVAILABLE"},
                }
            ],
        },
    )


def test_subgraph_errors_keep_code_and_field_on_the_locked_router(
    stack: Stack, tenant: str, locked_router: str
) -> None:
    body = stack.graphql(
        'mutation { createContact(input: {firstName: "A", lastName: "B", email: "not-mail"})'
        " { contact { id } } }",
        tenant=tenant,
        url=locked_router,
    ).json()

    assert [(e["message"], e["extensions"]) for e in body["errors"]] == [
        ("Invalid email format", {"code": "VALIDATION_ERROR", "field": "email"})
    ]
