"""One rate-limit decision per GraphQL request, as the coprocessor's answer to the router's
`graphql.request` stage: continue with X-RateLimit-* among the request's headers (the router's
response header rules copy them onto the answer), or break with 004's 429 (or 401 for
credentials that do not verify), as router-config/rate-limit.ts answers through Hive Gateway.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from typing import Any

import orjson
from graphql import (
    FieldNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    parse,
)
from graphql.language import FragmentDefinitionNode, SelectionSetNode

from crmgraph.config import Settings
from crmgraph.coprocessor.identity import Identities, credentials_of
from crmgraph.rest.rate_limit import Decision, RateLimiter
from crmgraph.rest.rate_limit_config import rate_limits_from
from crmgraph.security_log import security_event

VERSION = 1
RATE_HEADERS = ("x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset")
CONTINUE = orjson.dumps({"version": VERSION, "control": "continue"})


class RateLimits:
    """The coprocessor's decisions: who asks (Identities), what it selects, and the limiter."""

    def __init__(self, settings: Settings) -> None:
        self.limits = rate_limits_from(settings)
        self.limiter = RateLimiter(self.limits, settings.redis_url)
        self.identities = Identities(settings.auth_url, settings.router_secret)

    async def answer(self, payload: bytes) -> bytes:
        """The stage's answer (JSON bytes) to the router's payload (JSON bytes)."""
        stage = orjson.loads(payload)
        headers: dict[str, Any] = stage.get("headers") or {}
        if not self.limits.enabled:
            return CONTINUE
        identity = await self.identities.identify(credentials_of(headers))
        if isinstance(identity, str):
            return _break(401, {"WWW-Authenticate": "Bearer"},
                          {"errors": [{"message": identity,
                                       "extensions": {"code": "UNAUTHENTICATED"}}]})  # fmt: skip
        fields = expensive_fields(stage.get("body"), self.limits.operations)
        decision = await self.limiter.hit(identity, fields)
        if decision is None:  # Redis did not answer: the request passes unlimited
            return _continue(headers, None) if _has_rate_headers(headers) else CONTINUE
        if decision.allowed:
            return _continue(headers, decision)
        request_id = _first(headers.get("x-request-id")) or str(uuid.uuid4())
        security_event("rate_limit_exceeded", bucket=identity.bucket, tier=identity.tier,
                       path="/graphql", retry_after=decision.retry_after,
                       request_id=request_id)  # fmt: skip
        return _break(429, {**decision.headers(), "Retry-After": str(decision.retry_after)},
                      decision.body())  # fmt: skip

    async def close(self) -> None:
        await self.identities.close()


def _first(value: object) -> str | None:
    if isinstance(value, list):
        value = value[0] if value else None
    return value if isinstance(value, str) else None


def _has_rate_headers(headers: Mapping[str, object]) -> bool:
    return any(name in headers for name in RATE_HEADERS)


def _continue(headers: dict[str, Any], decision: Decision | None) -> bytes:
    """The request's headers as they go on: the router replaces them all with these. A
    client's own X-RateLimit-* never reach its answer."""
    kept = {k: v for k, v in headers.items() if k not in RATE_HEADERS}
    if decision is not None:
        kept.update((k.lower(), v) for k, v in decision.headers().items())
    return orjson.dumps({"version": VERSION, "control": "continue", "headers": kept})


def _break(status: int, headers: Mapping[str, str], body: object) -> bytes:
    return orjson.dumps({
        "version": VERSION,
        "control": {"break": status},
        "headers": {**headers, "content-type": "application/json; charset=utf-8"},
        "body": body,
    })  # fmt: skip


def expensive_fields(body: object, limited: Mapping[str, int]) -> list[str]:
    """The limited root fields the stage's body ({query, operationName}) selects
    (rate-limit.ts expensiveFields); a query naming none is not parsed."""
    if not isinstance(body, dict):
        return []
    return sorted(_fields(body.get("query"), body.get("operationName"), limited))


def _fields(query: object, operation_name: object, limited: Mapping[str, int]) -> set[str]:
    if not isinstance(query, str) or not any(name in query for name in limited):
        return set()
    try:
        document = parse(query, no_location=True, max_tokens=10_000)
    except GraphQLError:
        return set()  # the router answers with the syntax error
    fragments = {d.name.value: d for d in document.definitions
                 if isinstance(d, FragmentDefinitionNode)}  # fmt: skip
    found: set[str] = set()

    def walk(selection_set: SelectionSetNode, seen: frozenset[str]) -> None:
        for s in selection_set.selections:
            if isinstance(s, FieldNode):
                if s.name.value in limited:
                    found.add(s.name.value)
            elif isinstance(s, InlineFragmentNode):
                walk(s.selection_set, seen)
            elif isinstance(s, FragmentSpreadNode) and s.name.value not in seen:
                fragment = fragments.get(s.name.value)
                if fragment is not None:
                    walk(fragment.selection_set, seen | {s.name.value})

    named = operation_name if isinstance(operation_name, str) and operation_name else None
    for d in _operations(document.definitions, named):
        walk(d.selection_set, frozenset())
    return found


def _operations(definitions: Iterable[object], name: str | None) -> list[OperationDefinitionNode]:
    return [d for d in definitions if isinstance(d, OperationDefinitionNode)
            and (name is None or (d.name is not None and d.name.value == name))]  # fmt: skip
