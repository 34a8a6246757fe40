"""What a newcomer opens: GraphiQL on the router, the REST shim's health (its OpenAPI:
test_openapi_conformance.py)."""

from __future__ import annotations

import json
from datetime import datetime

import httpx

import crmgraph
from tests.stack import Stack


def test_router_serves_graphiql_on_get(stack: Stack) -> None:
    response = httpx.get(stack.router_url, headers={"accept": "text/html"}, timeout=30)

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")


def test_health_tells_anyone_only_whether_it_is_ready(stack: Stack) -> None:
    response = httpx.get(f"{stack.rest_url}/health")

    assert response.status_code == 200
    body = response.json()
    assert body["data"] == {"status": "ok"}
    # The envelope's meta holds a timestamp ("...:15.35..."), never a service's version.
    told = json.dumps({k: v for k, v in body.items() if k != "meta"}).lower()
    for revealing in ("127.0.0.1", "postgresql", "redis", "bolt", "neo4j", "full", "15."):
        assert revealing not in told
    assert set(body["meta"]) <= {"timestamp", "version", "requestId"}, body


def test_subgraph_health_tells_only_whether_it_is_ready(stack: Stack) -> None:
    response = httpx.get(f"http://127.0.0.1:{stack.ports['deals']}/health")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_health_details_need_a_system_admin(stack: Stack, tenant: str) -> None:
    url = f"{stack.rest_url}/health/details"
    anonymous = httpx.get(url)
    tenant_admin = httpx.get(url, headers={"authorization": f"Bearer {stack.token(tenant)}"})

    assert anonymous.status_code == 401
    assert anonymous.json()["errors"][0]["code"] == "UNAUTHORIZED"
    assert tenant_admin.status_code == 403
    assert tenant_admin.json()["errors"][0]["details"]["required_permissions"] == ["*"]
    assert "services" not in anonymous.text + tenant_admin.text


def test_health_details_name_each_dependency_for_a_system_admin(stack: Stack, tenant: str) -> None:
    admin = stack.token(tenant, roles=("system_admin",))
    response = httpx.get(
        f"{stack.rest_url}/health/details", headers={"authorization": f"Bearer {admin}"}
    )

    body = response.json()
    assert response.status_code == 200
    assert body["data"]["status"] == "ok"
    assert body["data"]["mode"] == "full"
    services = body["data"]["services"]
    assert {k: v["status"] for k, v in services.items()} == {
        "database": "up",
        "pubsub": "up",
        "graph": "up",
    }
    assert "***" in services["database"]["url"]
    assert stack.settings.neo4j_password not in response.text
    assert services["database"]["detail"].startswith("15.")
    # 001's health answer: version and timestamp beside status and services.
    assert body["data"]["version"] == crmgraph.__version__
    assert datetime.fromisoformat(body["data"]["timestamp"]).tzinfo is not None
