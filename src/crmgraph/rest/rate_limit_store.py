"""Where the rate-limit counters live: router-config/rate-limit.lua in Redis, or the same
algorithm in memory for one process (embedded mode). Both answer the script's raw tuple.
A REST operation's own limit (RouteLimit) is a sliding window: ROUTE_SCRIPT, or its twin in
memory."""

from __future__ import annotations

import hashlib
import math
import re
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

# One script for the router and the REST shim: router-config/rate-limit.lua in a checkout,
# copied into this package by the wheel build (pyproject force-include) for installs.
_CANDIDATES = (
    Path(__file__).with_name("rate-limit.lua"),
    Path(__file__).resolve().parents[3] / "router-config" / "rate-limit.lua",
)
SCRIPT_PATH = next((p for p in _CANDIDATES if p.exists()), _CANDIDATES[-1])
KEY_PREFIX = "crmgraph:rl:"


def keys_for(bucket: str, fields: Sequence[str]) -> list[str]:
    """One caller's keys share a Redis Cluster hash slot (`{...}`), as in rate-limit.ts."""
    base = f"{KEY_PREFIX}{{{_safe(bucket)}}}"
    return [f"{base}:b", f"{base}:h", f"{base}:d", *(f"{base}:op:{f}" for f in fields)]


def route_key(scope: str, operation: str) -> str:
    """The window of one operation for one scope (`tenant:<id>` or a caller's bucket)."""
    return f"{KEY_PREFIX}{{{_safe(scope)}}}:route:{_safe(operation)}"


def _safe(name: str) -> str:
    if len(name) > 120 or re.search(r"[{}\s]", name):
        return "h:" + hashlib.sha256(name.encode()).hexdigest()
    return name


# [allowed, remaining, reset_at_ms, retry_after_ms, which], as rate-limit.lua returns.
Raw = tuple[int, int, int, int, int]
# [allowed, remaining, reset_at_ms, retry_after_ms] of a route's window.
Window = tuple[int, int, int, int]

# KEYS[1]: the requests admitted in the window (a sorted set scored by ms); ARGV: the limit,
# the window in ms and a member unique to this request. A refusal adds nothing. Reset and
# retry are when the oldest request that holds a place leaves the window.
ROUTE_SCRIPT = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
local limit, window = tonumber(ARGV[1]), tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local count = redis.call('ZCARD', KEYS[1])
if count >= limit then
  local frees = tonumber(redis.call('ZRANGE', KEYS[1], count - limit, count - limit,
                                    'WITHSCORES')[2]) + window
  return {0, 0, frees, frees - now}
end
redis.call('ZADD', KEYS[1], now, ARGV[3])
redis.call('PEXPIRE', KEYS[1], window)
local oldest = tonumber(redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')[2])
return {1, limit - count - 1, oldest + window, 0}
"""


class Store(Protocol):
    async def run(self, keys: list[str], args: list[int]) -> Raw: ...

    async def window(self, key: str, limit: int, window_ms: int) -> Window: ...


class RedisStore:
    """rate-limit.lua in Redis (EVALSHA, loading the script when Redis does not know it)."""

    def __init__(self, url: str) -> None:
        # Fail fast: a request must not wait for the limiter; it passes unlimited instead.
        self._client = Redis.from_url(
            url, socket_timeout=0.5, socket_connect_timeout=0.5, retry=Retry(NoBackoff(), 0)
        )
        self._script = self._client.register_script(SCRIPT_PATH.read_text())
        self._route_script = self._client.register_script(ROUTE_SCRIPT)

    async def run(self, keys: list[str], args: list[int]) -> Raw:
        a, b, c, d, e = (int(v) for v in await self._script(keys=keys, args=args))
        return a, b, c, d, e

    async def window(self, key: str, limit: int, window_ms: int) -> Window:
        args = [limit, window_ms, uuid.uuid4().hex]
        a, b, c, d = (int(v) for v in await self._route_script(keys=[key], args=args))
        return a, b, c, d


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
        self._routes: dict[str, tuple[int, list[float]]] = {}  # key: (window ms, admitted at)
        self._swept = 0.0

    async def window(self, key: str, limit: int, window_ms: int) -> Window:
        now = time.time() * 1000
        self._sweep(now)
        admitted = [t for t in self._routes.get(key, (0, []))[1] if t > now - window_ms]
        self._routes[key] = (window_ms, admitted)
        if len(admitted) >= limit:
            frees = admitted[len(admitted) - limit] + window_ms
            return 0, 0, math.ceil(frees), math.ceil(frees - now)
        admitted.append(now)
        return 1, limit - len(admitted), math.ceil(admitted[0] + window_ms), 0

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
        self._routes = {k: r for k, r in self._routes.items() if r[1] and r[1][-1] + r[0] > now}
