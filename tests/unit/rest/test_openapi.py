"""The OpenAPI document is generated from the routes' declarations: every route of the app is
in it and nothing else, each declared permission shows, and /docs renders it offline."""

from __future__ import annotations

import re
from types import SimpleNamespace
from typing import Any, cast

import httpx
import pytest
import schemathesis
from starlette.routing import Route

from crmgraph.auth.route_needs import ROUTES, Auth
from crmgraph.config import Settings
from crmgraph.rest.app import all_operations, create_rest_app
from crmgraph.rest.callers import TIERS
from crmgraph.rest.docs import docs_page
from crmgraph.rest.openapi import documented_routes, openapi_document
from crmgraph.rest.operations import Operation, Reply
from crmgraph.runtime import Runtime

# Building the app and the document keeps the runtime for requests only; nothing here sends one.
NOBODY = cast(Runtime, SimpleNamespace(settings=Settings(), authenticator=None))


def served_routes() -> set[str]:
    app = create_rest_app(NOBODY)
    out = set()
    for route in app.routes:
        assert isinstance(route, Route), route  # no mounts: every route is an operation
        path = re.sub(r"\{(\w+):\w+\}", r"{\1}", route.path)
        out |= {f"{method} {path}" for method in route.methods or () if method != "HEAD"}
    return out


def document() -> dict[str, Any]:
    return all_operations(NOBODY)[1]


def test_every_route_of_the_app_is_documented_and_nothing_else() -> None:
    assert served_routes() == documented_routes(document())


def test_a_route_added_without_a_declaration_is_caught() -> None:
    async def nothing(_: object) -> None: ...

    app = create_rest_app(NOBODY)
    app.router.routes.append(Route("/undeclared", nothing))
    served = {f"{m} {r.path}" for r in app.routes if isinstance(r, Route) for m in r.methods or ()}

    assert "GET /undeclared" in served - documented_routes(document())


def test_schemathesis_reads_every_operation() -> None:
    _, doc = all_operations(NOBODY)
    schema = schemathesis.openapi.from_dict(doc)
    loaded = [result.ok() for result in schema.get_all_operations()]

    assert {f"{op.method.upper()} {op.path}" for op in loaded} == documented_routes(doc)


def test_each_permission_of_needs_is_in_the_document() -> None:
    doc = document()
    for key, need in ROUTES.items():
        method, path = key.split(" ", 1)
        op = doc["paths"][path][method.lower()]
        if need.auth is Auth.SIGNATURE:  # the sender's signature or token, not a bearer
            assert op["security"] == [] and "401" in op["responses"]
            assert op["x-authenticated-by"] == need.signer
            assert "x-required-permissions" not in op
            continue
        assert "x-authenticated-by" not in op
        assert op["x-required-permissions"] == list(need.permissions)
        assert op["security"] == [{"bearer": []}]
        assert {"401", "403", "413", "429"} <= set(op["responses"])
        for permission in need.permissions:
            assert f"`{permission}`" in op["description"]


def test_a_route_needing_several_permissions_shows_them_all() -> None:
    op = document()["paths"]["/api/v1/analytics/customer-health/{account_id}"]["get"]

    assert op["x-required-permissions"] == ["accounts:read", "deals:read", "activities:read"]
    assert "Needs `accounts:read`, `deals:read` and `activities:read`." in op["description"]


def test_public_routes_say_so_and_uncounted_ones_have_no_429() -> None:
    paths = document()["paths"]

    assert paths["/health"]["get"]["security"] == []
    assert "429" not in paths["/health"]["get"]["responses"]
    assert "429" in paths["/oauth2/token"]["post"]["responses"]
    assert paths["/internal/introspect"]["post"]["security"] == [{"routerSecret": []}]


def test_bodies_and_answers_come_from_the_models() -> None:
    post = document()["paths"]["/api-keys"]["post"]
    created = post["responses"]["201"]["content"]["application/json"]["schema"]

    assert post["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ApiKeyCreate"
    }
    assert created["properties"]["data"] == {"$ref": "#/components/schemas/ApiKeyCreated"}
    assert "400" in post["responses"]
    assert post["responses"]["201"]["headers"]["X-Request-ID"]


async def test_docs_page_lists_every_operation_and_escapes_text() -> None:
    async def nothing(_: object) -> None: ...

    script = "<script>alert(1)</script>"
    hostile = Operation("GET", "/x", nothing, name="x",  # type: ignore[arg-type]
                        summary=script, replies={200: Reply("ok")})  # fmt: skip
    page = docs_page(openapi_document([hostile]))
    served = create_rest_app(NOBODY)
    transport = httpx.ASGITransport(app=served)
    async with httpx.AsyncClient(transport=transport, base_url="http://shim") as client:
        response = await client.get("/docs")

    assert "<script>" not in page and "&lt;script&gt;" in page
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "<script" not in response.text and "src=" not in response.text
    for key in documented_routes(document()):
        method, path = key.split(" ", 1)
        assert f"{method} <code>{path}</code>" in response.text


@pytest.mark.parametrize("path", ["/openapi.json", "/docs"])
async def test_document_routes_need_no_services(path: str) -> None:
    transport = httpx.ASGITransport(app=create_rest_app(NOBODY))
    async with httpx.AsyncClient(transport=transport, base_url="http://shim") as client:
        assert (await client.get(path)).status_code == 200


def test_api_key_tiers_and_permissions_are_the_documents() -> None:
    create = document()["components"]["schemas"]["ApiKeyCreate"]["properties"]

    assert set(create["rate_limit_tier"]["enum"]) == set(TIERS)
    assert create["permissions"]["items"]["pattern"] == ":"


@pytest.mark.parametrize("twice", [("GET", "/x", "other"), ("POST", "/y", "x")])
def test_a_route_or_operation_id_declared_twice_is_refused(twice: tuple[str, str, str]) -> None:
    async def nothing(_: object) -> None: ...

    def op(method: str, path: str, name: str) -> Operation:
        return Operation(method, path, nothing, name=name,  # type: ignore[arg-type]
                         summary="s", replies={200: Reply("ok")})  # fmt: skip

    with pytest.raises(ValueError, match="declared twice"):
        openapi_document([op("GET", "/x", "x"), op(*twice)])
