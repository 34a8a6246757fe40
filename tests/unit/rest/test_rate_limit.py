"""The REST shim's limiter without I/O: the configuration, the in-memory algorithm (the Redis
script's twin) and the 429 body. Who is counted: test_callers.py."""

from __future__ import annotations

import json

import pytest

from crmgraph.config import Settings
from crmgraph.rest.callers import Caller
from crmgraph.rest.rate_limit import Decision, RateLimiter
from crmgraph.rest.rate_limit_config import RateLimits, TierLimits, rate_limits_from
from crmgraph.rest.rate_limit_store import SCRIPT_PATH, MemoryStore, keys_for


def test_keys_share_one_hash_slot_and_odd_buckets_are_hashed() -> None:
    assert keys_for("user:acme:u1", ["searchContacts"]) == [
        "crmgraph:rl:{user:acme:u1}:b",
        "crmgraph:rl:{user:acme:u1}:h",
        "crmgraph:rl:{user:acme:u1}:d",
        "crmgraph:rl:{user:acme:u1}:op:searchContacts",
    ]
    assert keys_for("key:{x}", [])[0].startswith("crmgraph:rl:{h:")


def test_overrides_merge_over_the_design_defaults() -> None:
    raw = {"authenticated_user": {"burst_limit": 3}, "operations": {"searchContacts": 2}}
    settings = Settings(rate_limits=json.dumps(raw))

    limits = rate_limits_from(settings)

    assert limits.tiers["authenticated_user"] == TierLimits(1000, 10_000, 100_000, 3)
    assert limits.tiers["premium_integration"] == TierLimits(10_000, 100_000, 1_000_000, 200)
    assert limits.operations["searchContacts"] == 2
    assert limits.operations["salesReport"] == 20


@pytest.mark.parametrize(
    "raw",
    [
        "{",
        "[]",
        '{"gold": {"burst_limit": 1}}',
        '{"authenticated_user": {"burst": 1}}',
        '{"authenticated_user": {"burst_limit": 0}}',
        '{"operations": {"searchContacts": "2"}}',
    ],
)
def test_bad_overrides_are_refused(raw: str) -> None:
    with pytest.raises(ValueError, match="CRMGRAPH_RATE_LIMITS"):
        rate_limits_from(Settings(rate_limits=raw))


def limiter(user: TierLimits | None = None) -> RateLimiter:
    tiers = dict(RateLimits().tiers)
    if user is not None:
        tiers["authenticated_user"] = user
    return RateLimiter(RateLimits(tiers=tiers, operations={"searchContacts": 2}), "memory://")


async def test_burst_is_allowed_then_refused_until_a_token_refills() -> None:
    tiny = limiter(TierLimits(6, 100, 1000, 3))
    caller = Caller("user:acme:u1", "authenticated_user")

    decisions = [await tiny.hit(caller) for _ in range(4)]

    assert [d.allowed for d in decisions if d] == [True, True, True, False]
    assert [d.remaining for d in decisions if d] == [2, 1, 0, 0]
    refused = decisions[3]
    assert refused is not None
    assert (refused.limit, refused.refused_limit, refused.refused_window) == (6, 6, "1 minute")
    assert 9 <= refused.retry_after <= 10


async def test_the_hour_window_refuses_once_spent() -> None:
    tiny = limiter(TierLimits(600, 2, 1000, 50))
    caller = Caller("user:acme:u1", "authenticated_user")

    decisions = [await tiny.hit(caller) for _ in range(3)]

    assert [d.allowed for d in decisions if d] == [True, True, False]
    assert decisions[1] is not None and decisions[1].remaining == 0
    refused = decisions[2]
    assert refused is not None
    assert (refused.refused_limit, refused.refused_window) == (2, "1 hour")
    assert 3590 <= refused.retry_after <= 3600


async def test_an_expensive_field_is_limited_apart_from_the_caller() -> None:
    tiny = limiter()
    caller = Caller("key:ck_int_x", "api_integration")

    searches = [await tiny.hit(caller, ["searchContacts"]) for _ in range(3)]
    other = await tiny.hit(caller)

    assert [d.allowed for d in searches if d] == [True, True, False]
    assert searches[2] is not None and searches[2].refused_operation == "searchContacts"
    assert other is not None and other.allowed


async def test_a_refused_request_consumes_nothing() -> None:
    store = MemoryStore()
    keys = keys_for("user:a:b", [])

    results = [await store.run(keys, [1, 1, 10, 10]) for _ in range(5)]

    assert [r[0] for r in results] == [1, 0, 0, 0, 0]
    assert store._windows[keys[1]][0] == 1


async def test_disabled_limits_decide_nothing() -> None:
    off = RateLimiter(RateLimits(enabled=False), "memory://")

    assert await off.hit(Caller("ip:1.2.3.4", "authenticated_user")) is None


def test_refusal_body_is_the_design_body_with_graphql_errors() -> None:
    decision = Decision(allowed=False, limit=1000, remaining=0, reset_at=1706094060,
                        retry_after=60, refused_limit=1000)  # fmt: skip

    assert decision.body() == {
        "success": False,
        "error": {
            "code": "RATE_LIMIT_EXCEEDED",
            "message": "Rate limit exceeded. Try again in 60 seconds.",
            "details": {"limit": 1000, "window": "1 minute", "retry_after": 60},
        },
        "errors": [
            {
                "message": "Rate limit exceeded. Try again in 60 seconds.",
                "extensions": {"code": "RATE_LIMIT_EXCEEDED", "retry_after": 60},
            }
        ],
    }
    assert decision.headers() == {
        "X-RateLimit-Limit": "1000",
        "X-RateLimit-Remaining": "0",
        "X-RateLimit-Reset": "1706094060",
    }


def test_the_script_is_the_one_the_router_runs() -> None:
    assert SCRIPT_PATH.parts[-2:] == ("router-config", "rate-limit.lua")
    assert "redis.call('TIME')" in SCRIPT_PATH.read_text()
