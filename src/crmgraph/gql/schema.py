"""Building a subgraph's federation Schema the same way everywhere."""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Awaitable, Sequence
from functools import cached_property
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.extensions import ParserCache, ValidationCache
from strawberry.federation.schema import FederationAny
from strawberry.types import ExecutionContext

from crmgraph.auth import read_needs
from crmgraph.errors import DomainError, ErrorCode
from crmgraph.gql import costs
from crmgraph.gql.context import Info
from crmgraph.gql.errors import DomainErrors, is_unexpected
from crmgraph.gql.execution import PerEventExecutor
from crmgraph.gql.permissions import attach, deny

log = logging.getLogger("crmgraph.gql")


def _typename(representation: object) -> str | None:
    """A representation's `__typename`, None when it is not an object naming a type."""
    if isinstance(representation, dict):
        name = representation.get("__typename")
        return name if isinstance(name, str) else None
    return None


# @theguild/federation-composition (used by the router) accepts federation up to v2.9.
FEDERATION_VERSION = "2.9"


class SubgraphSchema(strawberry.federation.Schema):
    """The router's _entities lookups need the read permission crmgraph.auth.read_needs.ENTITIES
    gives the type, on every subgraph: the same as the query that reads it."""

    async def entities_resolver(  # type: ignore[override]
        self, info: Info, representations: list[FederationAny]
    ) -> list[Any]:
        """Types with resolve_references (crmgraph.gql.entities) are resolved a list at a
        time, concurrently per type; the others one by one, as Strawberry does."""
        scope = info.context.scope
        by_type: dict[str, list[int]] = {}
        results: list[Any] = [None] * len(representations)
        for index, representation in enumerate(representations):
            typename = _typename(representation)
            if typename is not None and typename in self.entity_types:
                by_type.setdefault(typename, []).append(index)
            else:  # that entity's error, as graphql-core reports an Exception in a list
                results[index] = DomainError(
                    ErrorCode.VALIDATION_ERROR,
                    f"this subgraph resolves no entities of type {typename!r}",
                    field=f"representations.{index}.__typename",
                )
        for typename in by_type:
            if not read_needs.may_resolve(scope.permissions, typename):
                wanted = read_needs.ENTITIES.get(typename, "undeclared")
                deny(scope, (wanted,), f"_entities:{typename}")

        async def resolve(typename: str, indexes: list[int]) -> None:
            origin = self.schema_converter.type_map[typename].definition.origin  # type: ignore[union-attr]
            batch = getattr(origin, "resolve_references", None)
            found: list[Any]
            if batch is not None:
                ids = [representations[i].get("id") for i in indexes]  # type: ignore[attr-defined]
                found = list(await batch(info, ids))
            else:
                found = list[Any](
                    super(SubgraphSchema, self).entities_resolver(
                        info, [representations[i] for i in indexes]
                    )
                )
                # Started together, so their loader calls still share one batch; a failure
                # stays that entity's error, as in Strawberry.
                waiting = [n for n, value in enumerate(found) if inspect.isawaitable(value)]
                pending: list[Awaitable[Any]] = [found[n] for n in waiting]
                done = await asyncio.gather(*pending, return_exceptions=True)
                for n, value in zip(waiting, done, strict=True):
                    found[n] = value
            for index, value in zip(indexes, found, strict=True):
                results[index] = value

        await asyncio.gather(*(resolve(t, i) for t, i in by_type.items()))
        return results

    @cached_property
    def entity_types(self) -> frozenset[str]:
        """The types this subgraph resolves in `_entities` (its `_Entity` union)."""
        union = self._schema.type_map.get("_Entity")
        return frozenset(t.name for t in getattr(union, "types", ()))

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
) -> SubgraphSchema:
    attach([t for t in (query, mutation, subscription, *types) if t is not None])
    kwargs: dict[str, Any] = {}
    if mutation is not None:
        kwargs["mutation"] = mutation
    if subscription is not None:
        kwargs["subscription"] = subscription

    def build() -> SubgraphSchema:
        return SubgraphSchema(
            query=query,
            types=list(types),
            extensions=EXTENSIONS,
            execution_context_class=PerEventExecutor,
            federation_version=FEDERATION_VERSION,  # type: ignore[arg-type]
            **kwargs,
        )

    schema = build()
    # The list fields are known once Strawberry has resolved every type; built again, the
    # schema prints their @listSize and links it (crmgraph.gql.costs).
    if costs.annotate(schema.schema_converter.type_map):
        schema = build()
    return schema
