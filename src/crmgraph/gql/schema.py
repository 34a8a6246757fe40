"""Building a subgraph's federation Schema the same way everywhere."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.extensions import ParserCache, ValidationCache
from strawberry.federation.schema import FederationAny
from strawberry.types import ExecutionContext

from crmgraph.auth import rbac
from crmgraph.gql.context import Info
from crmgraph.gql.errors import DomainErrors, is_unexpected
from crmgraph.gql.permissions import deny

log = logging.getLogger("crmgraph.gql")

# @theguild/federation-composition (used by the router) accepts federation up to v2.9.
FEDERATION_VERSION = "2.9"


class SubgraphSchema(strawberry.federation.Schema):
    """owned maps the entity types this subgraph owns to their resource (Deal: deals), so the
    router's _entities lookups need the same read permission as the root fields."""

    owned: Mapping[str, str] = {}

    def entities_resolver(
        self, info: Info, representations: list[FederationAny]
    ) -> list[FederationAny]:
        scope = info.context.scope
        for typename in {r.get("__typename") for r in representations}:  # type: ignore[attr-defined]
            resource = self.owned.get(str(typename))
            if resource and not rbac.grant(scope.permissions, resource, "read").allowed:
                deny(scope, (f"{resource}:read",), f"_entities:{typename}")
        return super().entities_resolver(info, representations)

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        # Domain and validation errors are answers, not faults: only log the unexpected.
        for error in errors:
            if is_unexpected(error):
                log.error("unexpected error in %s", error.path, exc_info=error.original_error)


# Clients and the router send the same few documents over and over: parse and validate each
# once per process (validation was ~58% of a subgraph's CPU on a small query). The caches
# live at module level in Strawberry, keyed by maxsize; the factories are per request.
EXTENSIONS: list[Any] = [
    DomainErrors,
    lambda: ParserCache(maxsize=512),
    lambda: ValidationCache(maxsize=512),
]


def build_schema(
    *,
    query: type,
    mutation: type | None = None,
    subscription: type | None = None,
    types: Sequence[type] = (),
    owned: Mapping[str, str] | None = None,
) -> SubgraphSchema:
    kwargs: dict[str, Any] = {}
    if mutation is not None:
        kwargs["mutation"] = mutation
    if subscription is not None:
        kwargs["subscription"] = subscription
    schema = SubgraphSchema(
        query=query,
        types=list(types),
        extensions=EXTENSIONS,
        federation_version=FEDERATION_VERSION,  # type: ignore[arg-type]
        **kwargs,
    )
    schema.owned = dict(owned or {})
    return schema
