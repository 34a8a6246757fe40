"""The REST shim's body limit (REST_MAX_BODY_BYTES, 1 MiB by default) against the running shim:
an oversized body gets 413 in the error envelope, is not read whole, and changes nothing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
from sqlalchemy import func, select

from crmgraph.db import models
from tests.stack import Stack

LIMIT = 1_048_576


def stored_keys(stack: Stack, tenant: str) -> int:
    async def count() -> int:
        async with stack.runtime.sessions() as session:
            found = await session.scalar(
                select(func.count()).where(models.ApiKey.tenant_id == tenant)
            )
            return int(found or 0)

    return stack.call(count)


def key_request(size: int) -> bytes:
    """A valid POST /api-keys body of exactly `size` bytes."""
    empty = json.dumps({"name": "big", "description": ""}).encode()
    return json.dumps({"name": "big", "description": "x" * (size - len(empty))}).encode()


def assert_too_large(response: httpx.Response) -> None:
    assert response.status_code == 413, response.text
    body: dict[str, Any] = response.json()
    assert body["success"] is False
    assert body["data"] is None
    assert body["errors"] == [
        {
            "code": "REQUEST_ENTITY_TOO_LARGE",
            "message": f"Request body is larger than {LIMIT} bytes",
            "details": {"limit": LIMIT},
        }
    ]
    assert response.headers["x-content-type-options"] == "nosniff"


def test_declared_length_over_the_limit_is_refused_and_nothing_is_stored(
    stack: Stack, tenant: str
) -> None:
    admin = {"authorization": f"Bearer {stack.token(tenant)}", "content-type": "application/json"}
    with stack.counting_statements() as statements:
        response = httpx.post(
            f"{stack.rest_url}/api-keys", content=key_request(LIMIT + 1), headers=admin, timeout=30
        )

    assert_too_large(response)
    assert statements[0] == 0
    assert stored_keys(stack, tenant) == 0


def test_body_of_exactly_the_limit_is_accepted(stack: Stack, tenant: str) -> None:
    admin = {"authorization": f"Bearer {stack.token(tenant)}", "content-type": "application/json"}
    response = httpx.post(
        f"{stack.rest_url}/api-keys", content=key_request(LIMIT), headers=admin, timeout=30
    )

    assert response.status_code == 201, response.text[:500]
    assert stored_keys(stack, tenant) == 1


def test_chunked_body_over_the_limit_is_refused_and_nothing_is_stored(
    stack: Stack, tenant: str
) -> None:
    body = key_request(LIMIT + 1)

    def chunks() -> Iterator[bytes]:
        for start in range(0, len(body), 64_000):
            yield body[start : start + 64_000]

    admin = {"authorization": f"Bearer {stack.token(tenant)}", "content-type": "application/json"}
    response = httpx.post(f"{stack.rest_url}/api-keys", content=chunks(), headers=admin, timeout=30)

    assert "content-length" not in response.request.headers
    assert_too_large(response)
    assert stored_keys(stack, tenant) == 0


def test_token_endpoint_refuses_a_large_form_before_looking_up_the_client(stack: Stack) -> None:
    form = {
        "grant_type": "client_credentials",
        "client_id": "ck_int_x",
        "client_secret": "x" * LIMIT,
    }
    with stack.counting_statements() as statements:
        response = httpx.post(f"{stack.rest_url}/oauth2/token", data=form, timeout=30)

    assert_too_large(response)
    assert statements[0] == 0


def test_token_endpoint_stops_reading_an_endless_chunked_body(stack: Stack) -> None:
    """64 MiB offered in chunks: the shim answers 413 at the first MiB and closes the
    connection, so the client cannot send it all (socket buffers hold a few MiB at most)."""
    offered = 64 * LIMIT
    sent = 0

    def chunks() -> Iterator[bytes]:
        nonlocal sent
        yield b'{"grant_type": "client_credentials", "client_id": "'
        while sent < offered:
            sent += 64_000
            yield b"x" * 64_000

    response = httpx.post(
        f"{stack.rest_url}/oauth2/token",
        content=chunks(),
        headers={"content-type": "application/json"},
        timeout=30,
    )

    assert_too_large(response)
    assert sent < offered / 4
