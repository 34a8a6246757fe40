"""Both routers price an operation alike: Hive Gateway by router-config/limits.ts, Hive Router
by its demand control over the supergraph's @listSize and @cost (crmgraph.gql.costs), both
from router-config/list-sizes.json. Each router runs with a cost limit of 1, so it refuses
every operation below and states its estimate: Hive Gateway in `extensions.cost`, Hive
Router in `X-Cost-Estimated`. Where they differ (a list that another subgraph resolves under
a list) the test states both prices (README: Limits)."""

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
]  # fmt: skip

# Hive Router 0.2.0 prices each subgraph request of its query plan on its own. An `_entities`
# request's entities are not counted from the list they come from (the router does not know
# them when it estimates) but taken as its `default_list_size`, our default page of 20, each
# costing its type (1) again: (operation, variables, Hive Gateway's price, Hive Router's).
DIFFERENT: list[tuple[str, dict[str, Any], int, int]] = [
    # deals (deals subgraph), each deal's activities (activities subgraph).
    ("""{ deals(first: 100) { edges { node { title
        activities(first: 100) { edges { node { ... on Task { title } } } } } } } }""", {},
     100 + 100 * 100, 100 + 20 * (1 + 100)),
    # contacts (contacts), deals (deals), activities (activities), each a default page.
    ("""{ contacts { edges { node { deals { edges { node {
        activities { edges { node { __typename } } } } } } } } } }""", {},
     20 + 20 * 20 + 20 * 20 * 20, 20 + 20 * (1 + 20) + 20 * (1 + 20)),
    # 004's example: 10 input objects (the filter, its 7 nested ones, sort, pagination), 20
    # deals with their contact and account (the deals subgraph provides their fields), and
    # each deal's 5 activities (activities subgraph). Here Hive Router asks more.
    (GET_DEALS_WITH_COMPLEX_FILTER, {}, 10 + 20 * 3 + 20 * 5, 10 + 20 * 3 + 20 * (1 + 5)),
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
    cost = body["errors"][0]["extensions"].get("cost")
    if cost is not None:
        assert response.headers.get("x-cost-estimated") is None
        assert cost["max"] == 1
        return int(cost["estimated"])
    assert response.headers["x-cost-max"] == "1"
    return int(response.headers["x-cost-estimated"])


@pytest.mark.parametrize(("query", "variables", "cost"), SAME)
def test_both_routers_price_an_operation_alike(
    stack: Stack, tenant: str, routers: dict[str, str],
    query: str, variables: dict[str, Any], cost: int,
) -> None:  # fmt: skip
    prices = {kind: price(stack, url, query, variables, tenant) for kind, url in routers.items()}

    assert prices == {"hive-gateway": cost, "hive-router": cost}


@pytest.mark.parametrize(("query", "variables", "gateway", "native"), DIFFERENT)
def test_a_list_from_another_subgraph_is_priced_as_a_default_page_by_hive_router(
    stack: Stack, tenant: str, routers: dict[str, str],
    query: str, variables: dict[str, Any], gateway: int, native: int,
) -> None:  # fmt: skip
    prices = {kind: price(stack, url, query, variables, tenant) for kind, url in routers.items()}

    assert prices == {"hive-gateway": gateway, "hive-router": native}
