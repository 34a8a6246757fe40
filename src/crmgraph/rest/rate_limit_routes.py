"""Which REST requests have a limit of their own: the RouteLimit each Operation declares
(`rate_limit=`), or CRMGRAPH_RATE_LIMITS' "routes" entry for its operationId, matched by
method and path as Starlette routes them."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from starlette.routing import compile_path

from crmgraph.rest.operations import Operation
from crmgraph.rest.rate_limit_config import RouteLimit


@dataclass(frozen=True)
class LimitedRoute:
    method: str
    pattern: re.Pattern[str]
    operation: str  # the operationId, which names the route's window
    limit: RouteLimit


class RouteLimits:
    def __init__(
        self, operations: Sequence[Operation], overrides: Mapping[str, RouteLimit]
    ) -> None:
        """Raises ValueError when an override names no operation."""
        unknown = set(overrides) - {op.name for op in operations}
        if unknown:
            raise ValueError(f"CRMGRAPH_RATE_LIMITS: routes.{min(unknown)} is no operation")
        self.routes = [
            LimitedRoute(op.method, compile_path(op.path)[0], op.name, limit)
            for op in operations
            if (limit := overrides.get(op.name, op.rate_limit)) is not None
        ]

    def match(self, method: str, path: str) -> LimitedRoute | None:
        return next((r for r in self.routes if r.method == method and r.pattern.match(path)), None)
