"""Both routers price an operation alike: Hive Gateway by router-config/limits.ts, Hive Router
by our plugin (router-native/src/cost) over the supergraph's @listSize and @cost
(crmgraph.gql.costs), both from router-config/list-sizes.json, over the whole operation
(lists that another subgraph resolves too). Each router runs with a cost limit of 1, so it
refuses every operation below and states its estimate in `extensions.cost`."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from crmgraph import native_router
from tests.e2e.test_abuse_limits import CHILD_ACCOUNTS_CYCLE, STAGE_HISTORY_CYCLE
from tests.e2e.test_deals_api import GET_DEALS_WITH_COMPLEX_FILTER
from tests.routers import extra_router, router_env
from tests.stack import Stack

ID = {"id": str(uuid.uuid4())}
WIDE = "query($id: ID!) { " + " ".join(
    f"a{i}: deal(id: $id) {{ stageHistory {{ changedBy {{ id }} deal {{ id }} }} }}"
    for i in range(30)
) + " }"  # fmt: skip
ALIASED_HISTORY = "{ deals(first: 100) { edges { node { " + " ".join(
    f"a{i}: stageHistory {{ newStage }}" for i in range(30)
) + " } } } }"  # fmt: skip
SKIPPED = """query($skip: Boolean!) { pipelines { id }
    deals(first: 50) @skip(if: $skip) { edges { node { id } } } }"""

# (operation, variables, the price on both routers)
SAME: list[tuple[str, dict[str, Any], int]] = [
    ("{ pipelines { stages { automationRules { conditions { field } } } } }", {},
     20 + 400 + 4_000 + 40_000),
    (STAGE_HISTORY_CYCLE, ID, 1 + 100 + 100 + 10_000 + 10_000),
    (CHILD_ACCOUNTS_CYCLE, ID, 1 + 20 + 400 + 8_000 + 160_000),
    (WIDE, ID, 30 * (1 + 100 + 100 + 100)),
    (ALIASED_HISTORY, {}, 100 + 30 * 100 * 100),
    # No page size: the default page.
    ("{ deals { edges { node { stageHistory { newStage } } } } }", {}, 20 + 20 * 100),
    ("{ deals(last: 30) { edges { node { id } } pageInfo { hasNextPage } totalCount } }", {}, 30),
    # An input object costs 1.
    ("query($n: Int) { contacts(pagination: {first: $n}) { edges { node { id } } } }",
     {"n": 90}, 1 + 90),
    ("{ contacts(first: 90) { edges { node { id } } } }", {}, 90),
    # A union's member costs 1 as the union does.
    ("{ activities(first: 40) { edges { node { ... on Task { id } } } } }", {}, 40),
    ("{ deals(first: 30) { ...Page } } fragment Page on DealConnection { edges { node {"
     " stageHistory { newStage } } } }", {}, 30 + 30 * 100),
    (SKIPPED, {"skip": True}, 20),
    (SKIPPED, {"skip": False}, 20 + 50),
    # Lists that another subgraph resolves are sized by the list around them, not as a page.
    # deals (deals subgraph), each deal's activities (activities subgraph).
    ("""{ deals(first: 100) { edges { node { title
        activities(first: 100) { edges { node { ... on Task { title } } } } } } } }""", {},
     100 + 100 * 100),
    # contacts (contacts), deals (deals), activities (activities), each a default page.
    ("""{ contacts { edges { node { deals { edges { node {
        activities { edges { node { __typename } } } } } } } } } }""", {},
     20 + 20 * 20 + 20 * 20 * 20),
    # 004's example: 10 input objects (the filter, its 7 nested ones, sort, pagination), 20
    # deals with their contact and account (the deals subgraph provides their fields), and
    # each deal's 5 activities (activities subgraph).
    (GET_DEALS_WITH_COMPLEX_FILTER, {}, 10 + 20 * 3 + 20 * 5),
    # Variables and their defaults size pages in both subgraphs.
    ("""query($n: Int = 70) { contacts(pagination: {first: $n}) { edges { node {
        deals(first: $n) { edges { node { title } } } } } } }""", {}, 1 + 70 + 70 * 70),
    ("""query($n: Int = 70) { contacts(pagination: {first: $n}) { edges { node {
        deals(first: $n) { edges { node { title } } } } } } }""", {"n": 90}, 1 + 90 + 90 * 90),
]  # fmt: skip


@pytest.fixture(scope="module")
def routers(stack: Stack) -> Iterator[dict[str, str]]:
    """Hive Gateway and Hive Router on the stack's subgraphs, both with a cost limit of 1."""
    binary = native_router.binary()
    assert binary.exists(), f"{binary} is missing: run `make hive-router` once"
    env = router_env(stack, CRMGRAPH_MAX_COST="1", CRMGRAPH_RATE_LIMITS_ENABLED="false")
    with (
        extra_router(stack, env, "gateway-cost", kind="hive-gateway") as gateway,
        extra_router(stack, env, "native-cost", kind="hive-router") as native,
    ):
        yield {"hive-gateway": gateway, "hive-router": native}


def price(stack: Stack, url: str, query: str, variables: dict[str, Any], tenant: str) -> int:
    """The estimate of a router that refused the operation for its cost before any subgraph."""
    requests = dict(stack.requests)
    response = stack.graphql(query, variables, tenant=tenant, url=url)
    body = response.json()
    assert stack.requests == requests
    assert [e["extensions"]["code"] for e in body["errors"]] == ["COST_ESTIMATED_TOO_EXPENSIVE"]
    assert body.get("data") is None and response.status_code == httpx.codes.OK
    assert response.headers.get("x-cost-estimated") is None
    error = body["errors"][0]
    cost = error["extensions"]["cost"]
    assert cost["max"] == 1
    assert error["message"] == f"Query cost {cost['estimated']} exceeds the maximum of 1"
    return int(cost["estimated"])


@pytest.mark.parametrize(("query", "variables", "cost"), SAME)
def test_both_routers_price_an_operation_alike(
    stack: Stack, tenant: str, routers: dict[str, str],
    query: str, variables: dict[str, Any], cost: int,
) -> None:  # fmt: skip
    prices = {kind: price(stack, url, query, variables, tenant) for kind, url in routers.items()}

    assert prices == {"hive-gateway": cost, "hive-router": cost}
