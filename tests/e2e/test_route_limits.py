"""A REST operation's own rate limit (Operation.rate_limit), through a real REST shim whose
limiter runs in the stack's Redis: the bulk routes' declared limits per tenant, the 429 they
answer, and a limit changed by CRMGRAPH_RATE_LIMITS' "routes"."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import redis

from crmgraph.rest.rate_limit_store import route_key
from tests.e2e.test_bulk_import import MAPPING, row, stored
from tests.e2e.test_rate_limits import refused_body, serve_rest
from tests.stack import Stack

IMPORT = "/api/v1/bulk/contacts/import"
EXPORT = "/api/v1/bulk/deals/export"


@pytest.fixture(scope="module")
def rest(stack: Stack) -> Iterator[str]:
    """The declared limits, the design's tiers."""
    with serve_rest(stack, {}) as url:
        yield url


def send(stack: Stack, url: str, tenant: str, body: dict[str, Any]) -> httpx.Response:
    token = stack.token(tenant, roles=("tenant_admin",))
    return httpx.post(url, json=body, headers={"authorization": f"Bearer {token}"}, timeout=60)


def one_contact(i: int) -> dict[str, Any]:
    return {"field_mapping": MAPPING, "contacts": [row(f"c{i}@x.io")]}


def test_the_eleventh_import_in_an_hour_is_refused_for_that_tenant_only(
    stack: Stack, rest: str, tenant: str
) -> None:
    sent = [send(stack, rest + IMPORT, tenant, one_contact(i)) for i in range(11)]
    other = send(stack, rest + IMPORT, f"{tenant}_b", one_contact(0))

    assert [r.status_code for r in sent] == [200] * 10 + [429]
    refused = sent[10]
    retry = int(refused.headers["Retry-After"])
    assert 3590 <= retry <= 3600
    assert refused_body(refused)["details"] == {
        "limit": 10,
        "window": "1 hour",
        "operation": "importContacts",
        "retry_after": retry,
    }
    assert refused.headers["X-RateLimit-Limit"] == "10"
    assert refused.headers["X-RateLimit-Remaining"] == "0"
    assert int(refused.headers["X-RateLimit-Reset"]) >= time.time() + 3590
    assert "c10@x.io" not in stored(stack, tenant)
    assert len(stored(stack, tenant)) == 10
    # Allowed answers still carry the caller's tier headers.
    assert sent[0].headers["X-RateLimit-Limit"] == "1000"
    assert other.status_code == 200
    # Counted in the stack's Redis, in the tenant's window.
    client = redis.Redis.from_url(stack.runtime.settings.redis_url)
    assert client.zcard(route_key(f"tenant:{tenant}", "importContacts")) == 10
    assert client.zcard(route_key(f"tenant:{tenant}_b", "importContacts")) == 1


def test_every_user_of_a_tenant_shares_its_import_window(
    stack: Stack, rest: str, tenant: str
) -> None:
    tokens = [stack.token(tenant, user_id=f"u{i}") for i in range(11)]
    sent = [httpx.post(rest + IMPORT, json=one_contact(i), timeout=60,
                       headers={"authorization": f"Bearer {t}"})
            for i, t in enumerate(tokens)]  # fmt: skip

    assert [r.status_code for r in sent] == [200] * 10 + [429]


def test_the_eleventh_export_in_a_minute_is_refused(stack: Stack, rest: str, tenant: str) -> None:
    sent = [send(stack, rest + EXPORT, tenant, {"export_format": "json"}) for _ in range(11)]
    other = send(stack, rest + EXPORT, f"{tenant}_b", {"export_format": "json"})

    assert [r.status_code for r in sent] == [200] * 10 + [429]
    details = refused_body(sent[10])["details"]
    assert (details["limit"], details["window"], details["operation"]) == (
        10, "1 minute", "exportDeals")  # fmt: skip
    assert 1 <= details["retry_after"] <= 60
    assert other.status_code == 200


def test_a_configured_route_limit_replaces_the_declared_one_and_its_window_moves_on(
    stack: Stack, tenant: str
) -> None:
    limits = {"routes": {"importContacts": {"limit": 2, "window_seconds": 2}}}
    with serve_rest(stack, limits) as url:
        first = [send(stack, url + IMPORT, tenant, one_contact(i)) for i in range(3)]
        time.sleep(2.1)
        later = send(stack, url + IMPORT, tenant, one_contact(3))

    assert [r.status_code for r in first] == [200, 200, 429]
    assert refused_body(first[2])["details"]["window"] == "2 seconds"
    assert later.status_code == 200
    assert sorted(stored(stack, tenant)) == ["c0@x.io", "c1@x.io", "c3@x.io"]
