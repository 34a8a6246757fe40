"""Security headers and CORS of the design (004) on the router and on the REST shim."""

from __future__ import annotations

import httpx
import pytest

from tests.routers import per_router
from tests.stack import Stack

HEADERS = {
    "strict-transport-security": "max-age=31536000; includeSubDomains",
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "x-xss-protection": "1; mode=block",
    "content-security-policy": "default-src 'self'; script-src 'self' 'unsafe-inline'",
    "referrer-policy": "strict-origin-when-cross-origin",
}
ALLOWED = "http://localhost:3000"
UNLISTED = "https://evil.example"


def security_headers(response: httpx.Response) -> dict[str, str | None]:
    return {name: response.headers.get(name) for name in HEADERS}


def preflight(url: str, origin: str) -> httpx.Response:
    return httpx.options(
        url,
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type",
        },
        timeout=10,
    )


def endpoints(stack: Stack) -> dict[str, str]:
    return {"router": stack.router_url, "rest": f"{stack.rest_url}/health"}


def test_router_graphql_responses_carry_the_security_headers(stack: Stack, tenant: str) -> None:
    ok = stack.graphql("{ deals(first: 1) { totalCount } }", tenant=tenant)
    refused = stack.graphql("{ deals(first: 1) { nope } }", tenant=tenant)

    assert security_headers(ok) == HEADERS
    assert security_headers(refused) == HEADERS


@pytest.mark.parametrize("path", ["/healthcheck", "/readiness", "/no-such-page"])
def test_every_other_router_response_carries_them_too(stack: Stack, path: str) -> None:
    response = httpx.get(stack.router_url.removesuffix("/graphql") + path, timeout=10)

    assert security_headers(response) == HEADERS


def test_graphiql_page_gets_a_policy_that_lets_it_load(stack: Stack) -> None:
    # The page is about 21 MB: read the headers only.
    with httpx.stream(
        "GET", stack.router_url, headers={"accept": "text/html"}, timeout=30
    ) as response:
        policy = response.headers["content-security-policy"]
        frame_options = response.headers["x-frame-options"]

    assert response.status_code == 200
    assert "script-src 'self' 'unsafe-inline' 'unsafe-eval' blob: https://cdn.jsdelivr.net" in (
        policy
    )
    assert "worker-src 'self' blob:" in policy
    assert "frame-ancestors 'none'" in policy
    assert frame_options == "DENY"


@pytest.mark.parametrize("path", ["/health", "/openapi.json", "/no-such-page"])
def test_rest_responses_carry_the_security_headers(stack: Stack, path: str) -> None:
    response = httpx.get(stack.rest_url + path, timeout=10)

    assert security_headers(response) == HEADERS


@pytest.mark.parametrize("target", ["router", "rest"])
def test_preflight_from_an_allowed_origin_allows_credentials(stack: Stack, target: str) -> None:
    response = preflight(endpoints(stack)[target], ALLOWED)

    assert response.status_code in (200, 204)
    assert response.headers["access-control-allow-origin"] == ALLOWED
    assert response.headers["access-control-allow-credentials"] == "true"
    assert response.headers["access-control-max-age"] == "86400"
    assert "POST" in response.headers["access-control-allow-methods"]
    allowed_headers = response.headers["access-control-allow-headers"].lower()
    assert {"authorization", "content-type", "x-api-key"} <= {
        h.strip() for h in allowed_headers.split(",")
    }
    assert "Origin" in response.headers["vary"]
    assert security_headers(response) == HEADERS


@pytest.mark.parametrize("target", ["router", "rest"])
def test_preflight_from_an_unlisted_origin_is_not_allowed(stack: Stack, target: str) -> None:
    response = preflight(endpoints(stack)[target], UNLISTED)

    assert (
        refuses_origin(response)
        if target == "router"
        else ("access-control-allow-origin" not in response.headers)
    )
    assert security_headers(response) == HEADERS


def test_router_answers_an_allowed_origin_with_exposed_rate_limit_headers(
    stack: Stack, tenant: str
) -> None:
    response = stack.graphql("{ __typename }", tenant=tenant, headers={"Origin": ALLOWED})

    assert response.headers["access-control-allow-origin"] == ALLOWED
    assert response.headers["access-control-allow-credentials"] == "true"
    assert "X-RateLimit-Remaining" in response.headers["access-control-expose-headers"]


@pytest.mark.parametrize("target", ["router", "rest"])
def test_unlisted_origin_gets_no_allow_origin_on_a_simple_request(
    stack: Stack, target: str
) -> None:
    url = endpoints(stack)[target]
    if target == "router":
        response = httpx.post(
            url, json={"query": "{ __typename }"}, headers={"Origin": UNLISTED}, timeout=10
        )
    else:
        response = httpx.get(url, headers={"Origin": UNLISTED}, timeout=10)

    assert (
        refuses_origin(response)
        if target == "router"
        else ("access-control-allow-origin" not in response.headers)
    )


def refuses_origin(response: httpx.Response) -> bool:
    """No grant to the origin: no Access-Control-Allow-Origin, or Hive Router's `null` (which
    no listed origin's browser matches), and never with credentials."""
    allowed = response.headers.get("access-control-allow-origin")
    return allowed == per_router(None, "null") and (
        "access-control-allow-credentials" not in response.headers
    )
