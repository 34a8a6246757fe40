"""An operation's own rate limit without I/O: the declaration (Operation.rate_limit), its
override in CRMGRAPH_RATE_LIMITS, which requests it matches, the in-memory window (the Redis
script's twin), the limiter's decision and the OpenAPI document's 429."""

from __future__ import annotations

import asyncio
import json
from types import SimpleNamespace
from typing import cast

import pytest

from crmgraph.config import Settings
from crmgraph.rest.app import all_operations
from crmgraph.rest.operations import Operation, Reply
from crmgraph.rest.rate_limit import RateLimiter
from crmgraph.rest.rate_limit_config import RateLimits, RouteLimit, rate_limits_from
from crmgraph.rest.rate_limit_routes import RouteLimits
from crmgraph.rest.rate_limit_store import MemoryStore, route_key
from crmgraph.runtime import Runtime

NOBODY = cast(Runtime, SimpleNamespace(settings=Settings(), authenticator=None))


async def nothing(_: object) -> None: ...


def widget(limit: RouteLimit | None) -> Operation:
    return Operation("POST", "/widgets/{widget_id}/run", nothing, name="runWidget",  # type: ignore[arg-type]
                     summary="Run", replies={200: Reply("Ran")}, rate_limit=limit)  # fmt: skip


def test_the_bulk_routes_declare_the_designs_limits() -> None:
    operations, document = all_operations(NOBODY)
    declared = {op.name: op.rate_limit for op in operations if op.rate_limit}

    assert declared == {"importContacts": RouteLimit(10, 3600), "exportDeals": RouteLimit(10, 60)}
    imports = document["paths"]["/api/v1/bulk/contacts/import"]["post"]  # type: ignore[index]
    assert imports["x-rate-limit"] == {"limit": 10, "per": "tenant", "window_seconds": 3600}
    assert "10 per 1 hour per tenant" in imports["responses"]["429"]["description"]
    assert imports["responses"]["429"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/RateLimited"}  # fmt: skip
    other = document["paths"]["/api-keys"]["post"]  # type: ignore[index]
    assert "x-rate-limit" not in other and "429" in other["responses"]


@pytest.mark.parametrize("bad", [(0, 60), (10, 0), (-1, 60), (True, 60)])
def test_a_limit_must_be_positive(bad: tuple[int, int]) -> None:
    with pytest.raises(ValueError, match="positive integer"):
        RouteLimit(*bad)


def test_window_words() -> None:
    words = [RouteLimit(1, s).window for s in (1, 2, 60, 3600, 86_400, 90)]
    assert words == ["1 second", "2 seconds", "1 minute", "1 hour", "1 day", "90 seconds"]


def test_the_configuration_replaces_a_declared_limit_or_adds_one() -> None:
    raw = {"routes": {"runWidget": {"limit": 2, "window_seconds": 5}}}
    limits = rate_limits_from(Settings(rate_limits=json.dumps(raw)))

    declared = RouteLimits([widget(RouteLimit(10, 3600))], {})
    configured = RouteLimits([widget(RouteLimit(10, 3600))], limits.routes)
    added = RouteLimits([widget(None)], limits.routes)

    assert [r.limit for r in declared.routes] == [RouteLimit(10, 3600)]
    assert [r.limit for r in configured.routes] == [RouteLimit(2, 5)]
    assert [r.limit for r in added.routes] == [RouteLimit(2, 5)]
    assert RouteLimits([widget(None)], {}).routes == []


@pytest.mark.parametrize(
    "raw",
    ['{"routes": {"runWidget": {"limit": 2}}}',
     '{"routes": {"runWidget": {"limit": 2, "window_seconds": 0}}}',
     '{"routes": {"runWidget": {"limit": 2, "window_seconds": 5, "per": "user"}}}',
     '{"routes": {"runWidget": 3}}'],
)  # fmt: skip
def test_bad_route_overrides_are_refused(raw: str) -> None:
    with pytest.raises(ValueError, match=r"CRMGRAPH_RATE_LIMITS: routes\.runWidget"):
        rate_limits_from(Settings(rate_limits=raw))


def test_an_override_for_no_operation_is_refused() -> None:
    with pytest.raises(ValueError, match=r"routes\.runWidgit is no operation"):
        RouteLimits([widget(None)], {"runWidgit": RouteLimit(1, 1)})


def test_requests_match_by_method_and_path_template() -> None:
    routes = RouteLimits([widget(RouteLimit(1, 60))], {})

    assert routes.match("POST", "/widgets/abc/run") is routes.routes[0]
    assert routes.match("GET", "/widgets/abc/run") is None
    assert routes.match("POST", "/widgets/abc/run/more") is None
    assert routes.match("POST", "/widgets/run") is None


async def test_the_window_admits_the_limit_then_refuses_without_counting() -> None:
    store = MemoryStore()

    answers = [await store.window("k", 3, 60_000) for _ in range(5)]

    assert [(a[0], a[1]) for a in answers] == [(1, 2), (1, 1), (1, 0), (0, 0), (0, 0)]
    assert 59_000 <= answers[3][3] <= 60_000
    assert len(store._routes["k"][1]) == 3


async def test_the_window_slides() -> None:
    store = MemoryStore()
    await store.window("k", 1, 200)
    assert (await store.window("k", 1, 200))[0] == 0

    await asyncio.sleep(0.25)

    assert (await store.window("k", 1, 200))[0] == 1


async def test_the_limiter_decides_per_scope_with_the_routes_words() -> None:
    limiter = RateLimiter(RateLimits(), "memory://")
    route = RouteLimits([widget(RouteLimit(1, 3600))], {}).routes[0]

    first = await limiter.hit_route("tenant:a", route)
    second = await limiter.hit_route("tenant:a", route)
    other = await limiter.hit_route("tenant:b", route)

    assert first is not None and first.allowed
    assert other is not None and other.allowed
    assert second is not None and not second.allowed
    assert (second.limit, second.remaining, second.refused_window) == (1, 0, "1 hour")
    assert second.refused_operation == "runWidget"
    assert 3599 <= second.retry_after <= 3600
    assert await RateLimiter(RateLimits(enabled=False), "memory://").hit_route("a", route) is None


def test_route_keys_are_per_scope_and_hash_odd_names() -> None:
    assert route_key("tenant:acme", "importContacts") == (
        "crmgraph:rl:{tenant:acme}:route:importContacts")  # fmt: skip
    assert route_key("tenant:{x}", "op").startswith("crmgraph:rl:{h:")
