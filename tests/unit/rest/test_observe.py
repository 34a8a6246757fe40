"""The REST shim's outermost middleware on a small Starlette app (no services): an exception
no handler answers still gets the error envelope and an X-Request-ID; the route label is the
template; request ids are bounded."""

from __future__ import annotations

import logging

import httpx
import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from crmgraph.rest.metrics import HTTP_REQUESTS, REGISTRY
from crmgraph.rest.observe import ObserveMiddleware
from crmgraph.rest.request_id import MAX_LENGTH, sane


async def boom(_: Request) -> JSONResponse:
    raise RuntimeError("a bug")


async def item(request: Request) -> JSONResponse:
    return JSONResponse({"id": request.path_params["item_id"]})


async def echo(request: Request) -> JSONResponse:
    return JSONResponse({"length": len(await request.body())})


def app() -> Starlette:
    routes = [Route("/boom", boom), Route("/items/{item_id}", item),
              Route("/echo", echo, methods=["POST"])]  # fmt: skip
    return Starlette(routes=routes, middleware=[Middleware(ObserveMiddleware, routes=routes)])


async def get(path: str, **headers: str) -> httpx.Response:
    transport = httpx.ASGITransport(app=app(), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        return await client.get(path, headers=headers)


def count(method: str, route: str, status: str) -> float:
    value = REGISTRY.get_sample_value(
        "crmgraph_http_requests_total", {"method": method, "route": route, "status": status}
    )
    return value or 0.0


async def test_an_unhandled_exception_is_a_500_envelope_with_the_request_id() -> None:
    response = await get("/boom", **{"x-request-id": "bug-1"})

    assert response.status_code == 500
    assert response.headers["x-request-id"] == "bug-1"
    body = response.json()
    assert body["errors"] == [{"code": "INTERNAL_SERVER_ERROR", "message": "Internal server error"}]
    assert body["meta"]["requestId"] == "bug-1"
    assert "a bug" not in response.text


async def test_requests_are_counted_by_route_template_and_status_class() -> None:
    before = count("GET", "/items/{item_id}", "2xx"), count("GET", "<unmatched>", "4xx")
    await get("/items/abc123")
    await get("/items/def456")
    await get("/nowhere/abc123")

    assert count("GET", "/items/{item_id}", "2xx") == before[0] + 2
    assert count("GET", "<unmatched>", "4xx") == before[1] + 1
    labels = {s.labels.get("route") for m in HTTP_REQUESTS.collect() for s in m.samples}
    assert not any("abc123" in (route or "") for route in labels)


@pytest.mark.parametrize(
    ("given", "echoed"),
    [("a" * MAX_LENGTH, True), ("a" * (MAX_LENGTH + 1), False), ("ok-1.2:3_x", True),
     ("new\nline", False), ("", False), (None, False), ("é", False)],
)  # fmt: skip
def test_only_bounded_plain_request_ids_are_echoed(given: str | None, echoed: bool) -> None:
    assert sane(given) == (given if echoed else None)


async def test_a_client_gone_before_its_body_arrived_is_a_499_without_a_traceback(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Was logged as a failure with Starlette's ClientDisconnect traceback (make fuzz, a
    body shorter than its Content-Length) and answered with a 500 no one read."""
    sent: list[dict[str, object]] = []
    scope = {"type": "http", "method": "POST", "path": "/echo", "raw_path": b"/echo",
             "query_string": b"", "headers": [(b"content-length", b"100")],
             "http_version": "1.1", "scheme": "http", "server": ("t", 80),
             "client": ("127.0.0.1", 1), "root_path": ""}  # fmt: skip

    async def receive() -> dict[str, object]:
        return {"type": "http.disconnect"}

    async def send(message: dict[str, object]) -> None:
        sent.append(message)

    before = count("POST", "/echo", "4xx")
    with caplog.at_level(logging.INFO, logger="crmgraph.rest.requests"):
        await app()(scope, receive, send)  # type: ignore[arg-type]

    assert sent == []
    assert count("POST", "/echo", "4xx") == before + 1
    assert [r.levelno for r in caplog.records] == [logging.INFO]
    assert " 499 " in caplog.records[0].getMessage()
