"""The rate limits' configuration: the design's tiers and expensive root fields, with
CRMGRAPH_RATE_LIMITS merged over them (router-config/rate-limit.ts reads the same JSON), and
RouteLimit, a REST operation's own limit (declared on its Operation; "routes" overrides it)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from crmgraph.config import Settings
from crmgraph.rest.callers import TIERS, Tier


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
class RouteLimit:
    """A REST operation's own limit, on top of the caller's tier: at most `limit` requests
    in any `window_seconds` (a sliding window), per tenant (per caller when the request
    names no tenant)."""

    limit: int
    window_seconds: int

    def __post_init__(self) -> None:
        for name in ("limit", "window_seconds"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
                raise ValueError(f"RouteLimit.{name} must be a positive integer, got {value!r}")

    @property
    def window(self) -> str:
        """The window as the 429 body words it: "1 hour", "1 minute", "90 seconds"."""
        named = {86_400: "1 day", 3600: "1 hour", 60: "1 minute", 1: "1 second"}
        return named.get(self.window_seconds, f"{self.window_seconds} seconds")


@dataclass(frozen=True)
class RateLimits:
    enabled: bool = True
    tiers: Mapping[Tier, TierLimits] = field(default_factory=lambda: dict(DEFAULT_TIERS))
    operations: Mapping[str, int] = field(default_factory=lambda: dict(DEFAULT_OPERATIONS))
    # Per REST operationId, replacing what its Operation declares (the REST shim's alone).
    routes: Mapping[str, RouteLimit] = field(default_factory=dict)


def rate_limits_from(settings: Settings) -> RateLimits:
    """The defaults with CRMGRAPH_RATE_LIMITS merged over them; a bad value is a ValueError."""
    tiers = dict(DEFAULT_TIERS)
    operations = dict(DEFAULT_OPERATIONS)
    routes: dict[str, RouteLimit] = {}
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
            if name == "routes":
                routes.update({op: _route(op, limit) for op, limit in values.items()})
                continue
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
    return RateLimits(settings.rate_limits_enabled, tiers, operations, routes)


def _route(operation: str, given: object) -> RouteLimit:
    where = f"routes.{operation}"
    if not isinstance(given, dict) or set(given) != {"limit", "window_seconds"}:
        raise ValueError(f"CRMGRAPH_RATE_LIMITS: {where} must be {{limit, window_seconds}}")
    return RouteLimit(
        _positive(f"{where}.limit", given["limit"]),
        _positive(f"{where}.window_seconds", given["window_seconds"]),
    )


def _positive(where: str, value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise ValueError(f"CRMGRAPH_RATE_LIMITS: {where} must be a positive integer")
    return value
