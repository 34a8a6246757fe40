"""The REST shim's rate limits: the router's tiers, buckets and Lua script, as ASGI middleware.

router-config/rate-limit.ts is the other half; both run router-config/rate-limit.lua, so a
caller's counters are the same whether it calls the router or the REST shim. Whom a request
counts against is crmgraph.rest.callers' answer: credentials that do not verify get 401 before
any bucket is touched. The limits are read by rate_limit_config, the counters kept by
rate_limit_store; this module decides and answers. An operation that declares a limit of its
own (Operation.rate_limit, rate_limit_routes) is then held to it too, per tenant: a request
the tier refuses touches no route window; one the route refuses has counted in the tier.
"""

from __future__ import annotations

import json
import logging
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import cast

from redis.exceptions import RedisError
from starlette.datastructures import MutableHeaders
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from crmgraph.auth.authenticate import Authenticator, client_ip
from crmgraph.config import Settings
from crmgraph.errors import DomainError
from crmgraph.rest.callers import Caller, by_zoho_org, identify
from crmgraph.rest.errors import correlation_id, error_response
from crmgraph.rest.introspect import PATH as INTROSPECT
from crmgraph.rest.operations import Operation
from crmgraph.rest.rate_limit_config import RateLimits, rate_limits_from
from crmgraph.rest.rate_limit_routes import LimitedRoute, RouteLimits
from crmgraph.rest.rate_limit_store import MemoryStore, RedisStore, Store, keys_for, route_key
from crmgraph.rest.request_id import request_id_of
from crmgraph.rest.zoho_webhooks import PREFIX as ZOHO_WEBHOOKS
from crmgraph.runtime import Runtime
from crmgraph.security_log import security_event

log = logging.getLogger("crmgraph.rate_limit")

# The router's own questions are not a caller's requests (and carry the caller's credentials).
UNCOUNTED = frozenset({"/health", "/livez", "/readyz", "/openapi.json", INTROSPECT})


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
        return _decision(
            (allowed, remaining, reset_ms, retry_ms),
            tier.requests_per_minute,
            (*refused, operation),
        )

    async def hit_route(self, scope: str, route: LimitedRoute) -> Decision | None:
        """The decision of route's own window for scope (`tenant:<id>` or a caller's bucket);
        None when limits are off or Redis does not answer."""
        if not self.limits.enabled:
            return None
        limit = route.limit
        try:
            allowed, remaining, reset_ms, retry_ms = await self._open().window(
                route_key(scope, route.operation), limit.limit, limit.window_seconds * 1000
            )
        except (RedisError, OSError) as exc:
            self._warn(exc)
            return None
        refused = (limit.limit, limit.window, route.operation)
        return _decision((allowed, remaining, reset_ms, retry_ms), limit.limit, refused)

    def _warn(self, exc: BaseException) -> None:
        # Limits are protection, not correctness: requests pass while Redis is away.
        now = time.monotonic()
        if self._warned_at and now - self._warned_at < 60:
            return
        self._warned_at = now
        log.warning("Redis did not answer; requests pass without rate limits: %r", exc)


def _decision(
    raw: tuple[int, int, int, int], limit: int, refused: tuple[int, str, str | None]
) -> Decision:
    """A store's (allowed, remaining, reset_at_ms, retry_after_ms), with the limit the
    headers name and the (limit, window, operation) a refusal's body names."""
    allowed, remaining, reset_ms, retry_ms = raw
    return Decision(
        allowed=allowed == 1,
        limit=limit,
        remaining=max(0, remaining),
        reset_at=math.ceil(reset_ms / 1000),
        retry_after=max(1, math.ceil(retry_ms / 1000)),
        refused_limit=refused[0],
        refused_window=refused[1],
        refused_operation=refused[2],
    )


class RateLimitMiddleware:
    """Counts every HTTP request except /health, the probes, /openapi.json and the router's
    introspection; over a limit, 429; credentials that do not verify, 401 (counted nowhere)."""

    def __init__(
        self,
        app: ASGIApp,
        limiter: RateLimiter,
        settings: Settings,
        authenticator: Authenticator,
        routes: RouteLimits,
    ) -> None:
        self.app = app
        self.limiter = limiter
        self.routes = routes
        self.settings = settings
        self.authenticator = authenticator

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in UNCOUNTED or not self.limiter.limits.enabled:
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        headers["x-request-id"] = request_id_of(scope)  # the id security logs carry
        peer = scope["client"][0] if scope.get("client") else None
        address = client_ip(headers, peer, self.settings)
        tenant = None
        try:
            if scope["path"].startswith(ZOHO_WEBHOOKS):  # signed by an org, not a bearer
                caller = by_zoho_org(headers, scope.get("query_string", b""), address)
            else:
                caller, verified = await identify(self.authenticator, headers, address)
                tenant = verified.tenant_id if verified else None
        except DomainError as exc:
            # Credentials that do not verify, or that could not be checked (the database
            # down: SERVICE_UNAVAILABLE with Retry-After): answered here, in the envelope.
            await error_response(Request(scope), exc)(scope, receive, send)
            return
        decision = await self.limiter.hit(caller)
        route = self.routes.match(scope["method"], scope["path"])
        if route is not None and (decision is None or decision.allowed):
            per = f"tenant:{tenant}" if tenant else caller.bucket
            own = await self.limiter.hit_route(per, route)
            if own is not None and not own.allowed:
                decision = own
        if decision is None:
            await self.app(scope, receive, send)
        elif decision.allowed:
            await self.app(scope, receive, _with_headers(send, decision.headers()))
        else:
            request_id = request_id_of(scope)
            security_event(
                "rate_limit_exceeded",
                bucket=caller.bucket,
                tier=caller.tier,
                path=scope["path"],
                retry_after=decision.retry_after,
                request_id=request_id,
            )
            await _too_many_requests(scope, send, decision)


async def _too_many_requests(scope: Scope, send: Send, decision: Decision) -> None:
    answer = decision.body()
    extra = {}
    if scope["path"].startswith(ZOHO_WEBHOOKS):  # as every answer to a Zoho delivery
        extra["X-Correlation-ID"] = correlation = correlation_id(Request(scope))
        answer["error"] = {**cast(dict[str, object], answer["error"]),
                           "correlation_id": correlation}  # fmt: skip
    body = json.dumps(answer).encode()
    headers = {
        **decision.headers(),
        **extra,
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


def rate_limit_middleware(runtime: Runtime, operations: Sequence[Operation]) -> Middleware:
    settings = runtime.settings
    limits = rate_limits_from(settings)
    return Middleware(
        RateLimitMiddleware,
        limiter=RateLimiter(limits, settings.redis_url),
        settings=settings,
        authenticator=runtime.authenticator,
        routes=RouteLimits(operations, limits.routes),
    )
