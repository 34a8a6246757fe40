"""The compiled read path behind the router: the documents Hive Gateway sends the deals
subgraph for the bench's deal by id and 50-deal page (with contacts and accounts) compile,
so each costs one SQL statement, and the router's answer has the values of the rows."""

from __future__ import annotations

from tests.factories import make_deal_world
from tests.integration.compiled_cases import DEAL_BY_ID, DEALS_PAGE
from tests.stack import Stack


def test_the_bench_operations_are_one_statement_each_through_the_router(
    stack: Stack, tenant: str
) -> None:
    ids = stack.call(lambda: make_deal_world(stack.runtime.sessions, tenant, deals_count=60))
    headers = {"authorization": f"Bearer {stack.token(tenant)}"}
    stack.graphql(DEALS_PAGE, headers=headers)  # the tenant's role overrides are cached after
    with stack.counting_statements() as statements:
        page = stack.graphql(DEALS_PAGE, headers=headers).json()
    assert "errors" not in page, page
    nodes = [edge["node"] for edge in page["data"]["deals"]["edges"]]
    assert len(nodes) == 50
    assert [n["title"] for n in nodes] == [f"Deal {i}" for i in range(50)]
    assert all(n["contact"] or n["account"] for n in nodes)
    assert all(n["contact"]["fullName"].startswith("F") for n in nodes if n["contact"])
    assert statements[0] == 1, statements[0]

    with stack.counting_statements() as statements:
        one = stack.graphql(DEAL_BY_ID, {"id": str(ids[7])}, headers=headers).json()
    assert one["data"]["deal"]["id"] == str(ids[7]) and one["data"]["deal"]["title"] == "Deal 7"
    assert statements[0] == 1, statements[0]
