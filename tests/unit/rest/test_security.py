"""The REST shim's security headers and CORS, on a small Starlette app in process."""

from __future__ import annotations

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from crmgraph.config import Settings
from crmgraph.rest.security import SECURITY_HEADERS, parse_origins, security_middleware

ORIGINS = "http://localhost:3000, https://*.crm-platform.com/"


def client(origins: str = ORIGINS) -> httpx.AsyncClient:
    async def ping(_: Request) -> JSONResponse:
        return JSONResponse({"ok": True})

    app = Starlette(
        routes=[Route("/ping", ping, methods=["GET", "POST"])],
        middleware=security_middleware(Settings(cors_origins=origins)),
    )
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://shim")


def preflight(origin: str) -> dict[str, str]:
    return {
        "Origin": origin,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type, x-api-key",
    }


def test_parse_origins_keeps_exact_ones_and_turns_wildcards_into_one_label() -> None:
    exact, regex = parse_origins(ORIGINS)

    assert exact == ["http://localhost:3000"]
    assert regex == r"(?:https://[A-Za-z0-9-]+\.crm\-platform\.com)"


def test_parse_origins_without_wildcards_has_no_regex() -> None:
    assert parse_origins("http://a.test,,") == (["http://a.test"], None)


async def test_every_response_carries_the_security_headers() -> None:
    async with client() as c:
        found = await c.get("/ping")
        missing = await c.get("/nope")

    for response in (found, missing):
        assert {k: response.headers[k] for k in SECURITY_HEADERS} == SECURITY_HEADERS
        assert "Origin" in response.headers["vary"]
    assert (found.status_code, missing.status_code) == (200, 404)


async def test_preflight_from_a_listed_origin_allows_credentials_and_our_headers() -> None:
    async with client() as c:
        response = await c.options("/ping", headers=preflight("http://localhost:3000"))

    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "http://localhost:3000"
    assert response.headers["access-control-allow-credentials"] == "true"
    assert response.headers["access-control-max-age"] == "86400"
    assert "POST" in response.headers["access-control-allow-methods"]
    assert "X-API-Key" in response.headers["access-control-allow-headers"]
    assert response.headers["x-frame-options"] == "DENY"


async def test_preflight_from_a_wildcard_subdomain_is_allowed() -> None:
    async with client() as c:
        response = await c.options("/ping", headers=preflight("https://app.crm-platform.com"))

    assert response.headers["access-control-allow-origin"] == "https://app.crm-platform.com"


async def test_wildcard_matches_one_label_only() -> None:
    async with client() as c:
        bare = await c.options("/ping", headers=preflight("https://crm-platform.com"))
        lookalike = await c.options(
            "/ping", headers=preflight("https://a.crm-platform.com.evil.test")
        )

    assert "access-control-allow-origin" not in bare.headers
    assert "access-control-allow-origin" not in lookalike.headers


async def test_preflight_from_an_unlisted_origin_gets_no_allow_origin() -> None:
    async with client() as c:
        response = await c.options("/ping", headers=preflight("https://evil.example"))

    assert response.status_code == 400
    assert "access-control-allow-origin" not in response.headers
    assert response.headers["x-content-type-options"] == "nosniff"


async def test_simple_request_from_a_listed_origin_exposes_rate_limit_headers() -> None:
    async with client() as c:
        response = await c.post("/ping", headers={"Origin": "http://localhost:3000"})

    assert response.headers["access-control-allow-origin"] == "http://localhost:3000"
    assert "X-RateLimit-Remaining" in response.headers["access-control-expose-headers"]


async def test_simple_request_from_an_unlisted_origin_gets_no_allow_origin() -> None:
    async with client() as c:
        response = await c.post("/ping", headers={"Origin": "https://evil.example"})

    assert response.status_code == 200
    assert "access-control-allow-origin" not in response.headers


def test_default_origins_are_the_local_front_end_and_graphiql() -> None:
    default = Settings.model_fields["cors_origins"].default
    exact, regex = parse_origins(default)

    assert exact == [
        "http://localhost:3000",
        "https://localhost:3000",
        "http://localhost:4000",
        "http://127.0.0.1:4000",
    ]
    assert regex is None
