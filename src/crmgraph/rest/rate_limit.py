"""The REST shim's rate limits: the router's tiers, buckets and Lua script, as ASGI middleware.

router-config/rate-limit.ts is the other half; both run router-config/rate-limit.lua, so a
caller's counters are the same whether it calls the router or the REST shim. Whom a request
counts against is crmgraph.rest.callers' answer: credentials that do not verify get 401 before
any bucket is touched.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import re
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Protocol

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError
from starlette.datastructures import MutableHeaders
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from crmgraph.auth.authenticate import Authenticator, client_ip
from crmgraph.config import Settings
from crmgraph.errors import DomainError, ErrorCode
from crmgraph.rest.callers import TIERS, Caller, Tier, identify
from crmgraph.rest.errors import error_response
from crmgraph.rest.introspect import PATH as INTROSPECT
from crmgraph.runtime import Runtime
from crmgraph.security_log import security_event

log = logging.getLogger("crmgraph.rate_limit")

# One script for the router and the REST shim: router-config/rate-limit.lua in a checkout,
# copied into this package by the wheel build (pyproject force-include) for installs.
_CANDIDATES = (
    Path(__file__).with_name("rate-limit.lua"),
    Path(__file__).resolve().parents[3] / "router-config" / "rate-limit.lua",
)
SCRIPT_PATH = next((p for p in _CANDIDATES if p.exists()), _CANDIDATES[-1])
KEY_PREFIX = "crmgraph:rl:"
# The router's own questions are not a caller's requests (and carry the caller's credentials).
UNCOUNTED = frozenset({"/health", "/openapi.json", INTROSPECT})


@dataclass(frozen=True)
class TierLimits:
    requests_per_minute: int
    requests_per_hour: int
    requests_per_day: int
    burst_limit: int


DEFAULT_TIERS: dict[Tier, TierLimits] = {
    "authenticated_user": TierLimits(1000, 10_000, 100_000, 50),
    "api_integration": TierLimits(5000, 50_000, 500_000, 100),
    "premium_integration": TierLimits(10_000, 100_000, 1_000_000, 200),
}
# Per caller, per root field, per minute; the router's table (rate-limit.ts) is the same.
DEFAULT_OPERATIONS: dict[str, int] = {
    "searchContacts": 100,
    "dealForecast": 50,
    "salesReport": 20,
    "performanceMetrics": 20,
    "dashboardData": 20,
    "pipelineAnalytics": 20,
    "pipelineReport": 20,
    "salesDashboard": 20,
}


@dataclass(frozen=True)
class RateLimits:
    enabled: bool = True
    tiers: Mapping[Tier, TierLimits] = field(default_factory=lambda: dict(DEFAULT_TIERS))
    operations: Mapping[str, int] = field(default_factory=lambda: dict(DEFAULT_OPERATIONS))


def rate_limits_from(settings: Settings) -> RateLimits:
    """The defaults with CRMGRAPH_RATE_LIMITS merged over them; a bad value is a ValueError."""
    tiers = dict(DEFAULT_TIERS)
    operations = dict(DEFAULT_OPERATIONS)
    if settings.rate_limits and settings.rate_limits.strip():
        try:
            given = json.loads(settings.rate_limits)
        except json.JSONDecodeError as exc:
            raise ValueError("CRMGRAPH_RATE_LIMITS: not valid JSON") from exc
        if not isinstance(given, dict):
            raise ValueError("CRMGRAPH_RATE_LIMITS: must be an object")
        for name, values in given.items():
            if not isinstance(values, dict):
                raise ValueError(f"CRMGRAPH_RATE_LIMITS: {name} must be an object")
            checked = {k: _positive(f"{name}.{k}", v) for k, v in values.items()}
            if name == "operations":
                operations.update(checked)
            elif name in TIERS:
                tier: Tier = name
                unknown = set(checked) - set(TierLimits.__dataclass_fields__)
                if unknown:
                    raise ValueError(f"CRMGRAPH_RATE_LIMITS: unknown setting {name}.{min(unknown)}")
                tiers[tier] = replace(tiers[tier], **checked)
            else:
                raise ValueError(f"CRMGRAPH_RATE_LIMITS: unknown key {name}")
    return RateLimits(settings.rate_limits_enabled, tiers, operations)


def _positive(where: str, value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise ValueError(f"CRMGRAPH_RATE_LIMITS: {where} must be a positive integer")
    return value


def keys_for(bucket: str, fields: Sequence[str]) -> list[str]:
    """One caller's keys share a Redis Cluster hash slot (`{...}`), as in rate-limit.ts."""
    safe = bucket
    if len(bucket) > 120 or re.search(r"[{}\s]", bucket):
        safe = "h:" + hashlib.sha256(bucket.encode()).hexdigest()
    base = f"{KEY_PREFIX}{{{safe}}}"
    return [f"{base}:b", f"{base}:h", f"{base}:d", *(f"{base}:op:{f}" for f in fields)]


@dataclass(frozen=True)
class Decision:
    allowed: bool
    limit: int
    remaining: int
    reset_at: int
    retry_after: int
    refused_limit: int = 0
    refused_window: str = "1 minute"
    refused_operation: str | None = None

    def headers(self) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(self.reset_at),
        }

    def body(self) -> dict[str, object]:
        """The design's 429 body, plus GraphQL-style `errors` (the router sends the same)."""
        message = f"Rate limit exceeded. Try again in {self.retry_after} seconds."
        details: dict[str, object] = {"limit": self.refused_limit, "window": self.refused_window}
        if self.refused_operation:
            details["operation"] = self.refused_operation
        details["retry_after"] = self.retry_after
        return {
            "success": False,
            "error": {"code": "RATE_LIMIT_EXCEEDED", "message": message, "details": details},
            "errors": [{"message": message,
                        "extensions": {"code": "RATE_LIMIT_EXCEEDED",
                                       "retry_after": self.retry_after}}],
        }  # fmt: skip


# [allowed, remaining, reset_at_ms, retry_after_ms, which], as rate-limit.lua returns.
Raw = tuple[int, int, int, int, int]


class Store(Protocol):
    async def run(self, keys: list[str], args: list[int]) -> Raw: ...


class RedisStore:
    """rate-limit.lua in Redis (EVALSHA, loading the script when Redis does not know it)."""

    def __init__(self, url: str) -> None:
        # Fail fast: a request must not wait for the limiter; it passes unlimited instead.
        self._client = Redis.from_url(
            url, socket_timeout=0.5, socket_connect_timeout=0.5, retry=Retry(NoBackoff(), 0)
        )
        self._script = self._client.register_script(SCRIPT_PATH.read_text())

    async def run(self, keys: list[str], args: list[int]) -> Raw:
        a, b, c, d, e = (int(v) for v in await self._script(keys=keys, args=args))
        return a, b, c, d, e


@dataclass
class _Bucket:
    tokens: float
    at: float
    expires: float


class MemoryStore:
    """rate-limit.lua's algorithm for one process without Redis (embedded mode)."""

    def __init__(self) -> None:
        self._buckets: dict[str, _Bucket] = {}
        self._windows: dict[str, tuple[int, float]] = {}
        self._swept = 0.0

    async def run(self, keys: list[str], args: list[int]) -> Raw:
        now = time.time() * 1000
        self._sweep(now)
        capacity, per_minute, per_hour, per_day, *field_limits = args
        refused = [0, 0]  # which, retry

        def refuse(which: int, wait: float) -> None:
            if refused[0] == 0 or wait > refused[1]:
                refused[:] = [which, math.ceil(wait)]

        def level(key: str, cap: int, rpm: int) -> tuple[float, float]:
            rate = rpm / 60_000
            b = self._buckets.get(key)
            if b is None or b.expires <= now:
                return float(cap), rate
            return min(cap, b.tokens + max(0.0, now - b.at) * rate), rate

        tokens, rate = level(keys[0], capacity, per_minute)
        if tokens < 1:
            refuse(1, (1 - tokens) / rate)
        hour, day = self._window(keys[1], now), self._window(keys[2], now)
        if hour[0] >= per_hour:
            refuse(2, hour[1] - now)
        if day[0] >= per_day:
            refuse(3, day[1] - now)
        fields = []
        for i, (key, limit) in enumerate(zip(keys[3:], field_limits, strict=True)):
            have, field_rate = level(key, limit, limit)
            fields.append((key, have, limit, field_rate))
            if have < 1:
                refuse(4 + i, (1 - have) / field_rate)
        if refused[0]:
            return 0, 0, int(now) + refused[1], refused[1], refused[0]

        for key, have, cap, r in [(keys[0], tokens, capacity, rate), *fields]:
            self._buckets[key] = _Bucket(
                have - 1, now, now + math.ceil((cap - have + 1) / r) + 1000
            )
        self._windows[keys[1]] = (hour[0] + 1, hour[1] if hour[0] else now + 3_600_000)
        self._windows[keys[2]] = (day[0] + 1, day[1] if day[0] else now + 86_400_000)
        left = min(math.floor(tokens - 1), per_hour - hour[0] - 1, per_day - day[0] - 1)
        return 1, left, int(now) + math.ceil((capacity - tokens + 1) / rate), 0, 0

    def _window(self, key: str, now: float) -> tuple[int, float]:
        count, expires = self._windows.get(key, (0, now))
        return (count, expires) if expires > now else (0, now)

    def _sweep(self, now: float) -> None:
        if now - self._swept < 60_000:
            return
        self._swept = now
        self._buckets = {k: b for k, b in self._buckets.items() if b.expires > now}
        self._windows = {k: w for k, w in self._windows.items() if w[1] > now}


class RateLimiter:
    def __init__(self, limits: RateLimits, redis_url: str) -> None:
        self.limits = limits
        self._redis_url = redis_url
        self._store: Store | None = None
        self._warned_at = 0.0

    def _open(self) -> Store:
        # Built on first use, inside the serving event loop (redis.asyncio binds to it).
        if self._store is None:
            memory = self._redis_url.startswith("memory://")
            self._store = MemoryStore() if memory else RedisStore(self._redis_url)
        return self._store

    async def hit(self, caller: Caller, fields: Sequence[str] = ()) -> Decision | None:
        """The decision for one request; None when limits are off or Redis does not answer."""
        if not self.limits.enabled:
            return None
        tier = self.limits.tiers[caller.tier]
        args = [tier.burst_limit, tier.requests_per_minute, tier.requests_per_hour,
                tier.requests_per_day, *(self.limits.operations[f] for f in fields)]  # fmt: skip
        try:
            allowed, remaining, reset_ms, retry_ms, which = await self._open().run(
                keys_for(caller.bucket, fields), args
            )
        except (RedisError, OSError) as exc:
            self._warn(exc)
            return None
        refused = (tier.requests_per_minute, "1 minute")
        if which == 2:
            refused = (tier.requests_per_hour, "1 hour")
        elif which == 3:
            refused = (tier.requests_per_day, "1 day")
        operation = fields[which - 4] if which >= 4 else None
        if operation:
            refused = (self.limits.operations[operation], "1 minute")
        return Decision(
            allowed=allowed == 1,
            limit=tier.requests_per_minute,
            remaining=max(0, remaining),
            reset_at=math.ceil(reset_ms / 1000),
            retry_after=max(1, math.ceil(retry_ms / 1000)),
            refused_limit=refused[0],
            refused_window=refused[1],
            refused_operation=operation,
        )

    def _warn(self, exc: BaseException) -> None:
        # Limits are protection, not correctness: requests pass while Redis is away.
        now = time.monotonic()
        if self._warned_at and now - self._warned_at < 60:
            return
        self._warned_at = now
        log.warning("Redis did not answer; requests pass without rate limits: %r", exc)


class RateLimitMiddleware:
    """Counts every HTTP request except /health, /openapi.json and the router's introspection;
    over a limit, 429; credentials that do not verify, 401 (counted nowhere)."""

    def __init__(
        self, app: ASGIApp, limiter: RateLimiter, settings: Settings, authenticator: Authenticator
    ) -> None:
        self.app = app
        self.limiter = limiter
        self.settings = settings
        self.authenticator = authenticator

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in UNCOUNTED or not self.limiter.limits.enabled:
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        peer = scope["client"][0] if scope.get("client") else None
        try:
            caller, _ = await identify(
                self.authenticator, headers, client_ip(headers, peer, self.settings)
            )
        except DomainError as exc:
            if exc.code is not ErrorCode.UNAUTHENTICATED:
                raise
            await error_response(Request(scope), exc)(scope, receive, send)
            return
        decision = await self.limiter.hit(caller)
        if decision is None:
            await self.app(scope, receive, send)
        elif decision.allowed:
            await self.app(scope, receive, _with_headers(send, decision.headers()))
        else:
            request_id = headers.get("x-request-id") or f"req_{uuid.uuid4().hex[:16]}"
            security_event(
                "rate_limit_exceeded",
                bucket=caller.bucket,
                tier=caller.tier,
                path=scope["path"],
                retry_after=decision.retry_after,
                request_id=request_id,
            )
            await _too_many_requests(send, decision)


async def _too_many_requests(send: Send, decision: Decision) -> None:
    body = json.dumps(decision.body()).encode()
    headers = {
        **decision.headers(),
        "Retry-After": str(decision.retry_after),
        "Content-Type": "application/json",
        "Content-Length": str(len(body)),
    }
    raw = [(k.lower().encode(), v.encode()) for k, v in headers.items()]
    await send({"type": "http.response.start", "status": 429, "headers": raw})
    await send({"type": "http.response.body", "body": body})


def _with_headers(send: Send, extra: dict[str, str]) -> Send:
    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start":
            MutableHeaders(scope=message).update(extra)
        await send(message)

    return sending


def rate_limit_middleware(runtime: Runtime) -> Middleware:
    settings = runtime.settings
    limiter = RateLimiter(rate_limits_from(settings), settings.redis_url)
    return Middleware(
        RateLimitMiddleware, limiter=limiter, settings=settings, authenticator=runtime.authenticator
    )
