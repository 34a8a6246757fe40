"""What a newcomer opens: GraphiQL on the router, the REST shim's health and OpenAPI."""

from __future__ import annotations

import httpx
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import Case

from tests.stack import Stack


def test_router_serves_graphiql_on_get(stack: Stack) -> None:
    response = httpx.get(stack.router_url, headers={"accept": "text/html"}, timeout=30)

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")


def test_health_reports_each_full_mode_dependency(stack: Stack) -> None:
    body = httpx.get(f"{stack.rest_url}/health").json()

    assert body["success"] is True
    assert body["data"]["mode"] == "full"
    assert {k: v["status"] for k, v in body["data"]["services"].items()} == {
        "database": "up",
        "pubsub": "up",
        "graph": "up",
    }


def test_rest_shim_conforms_to_its_openapi(stack: Stack) -> None:
    # schemathesis' pytest plugin does not load under pytest 9, so drive it with hypothesis.
    schema = schemathesis.openapi.from_url(f"{stack.rest_url}/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert "/health" in {op.path for op in operations}
    for operation in operations:

        @settings(max_examples=5, deadline=None, suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy())
        def conforms(case: Case) -> None:
            case.call_and_validate()

        conforms()
