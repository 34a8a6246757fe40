"""Building a subgraph's federation Schema the same way everywhere."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.types import ExecutionContext

from crmgraph.gql.errors import DomainErrors, is_unexpected

log = logging.getLogger("crmgraph.gql")

# @theguild/federation-composition (used by the router) accepts federation up to v2.9.
FEDERATION_VERSION = "2.9"


class SubgraphSchema(strawberry.federation.Schema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        # Domain and validation errors are answers, not faults: only log the unexpected.
        for error in errors:
            if is_unexpected(error):
                log.error("unexpected error in %s", error.path, exc_info=error.original_error)


def build_schema(
    *, query: type, mutation: type | None = None, types: Sequence[type] = ()
) -> SubgraphSchema:
    kwargs: dict[str, Any] = {}
    if mutation is not None:
        kwargs["mutation"] = mutation
    return SubgraphSchema(
        query=query,
        types=list(types),
        extensions=[DomainErrors],
        federation_version=FEDERATION_VERSION,  # type: ignore[arg-type]
        **kwargs,
    )
