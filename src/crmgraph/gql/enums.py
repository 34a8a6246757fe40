"""Domain enums as GraphQL enums: the domain's own class is the GraphQL type, so its values
are written once. A subgraph names it for the API with a type alias and declares it here:

    AnalyticsPeriod: TypeAlias = pipeline_analytics.Period
    graphql_enum(AnalyticsPeriod, name="AnalyticsPeriod", description="...")

The GraphQL values are the members' names; `values` describes some of them (strawberry
takes a value's description only from strawberry.enum_value in a class body, which a
domain enum cannot hold).
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from typing import TypeVar

import strawberry
from strawberry.types.enum import StrawberryEnumDefinition

E = TypeVar("E", bound=Enum)


def graphql_enum(
    cls: type[E], *, name: str, description: str, values: Mapping[E, str] | None = None
) -> None:
    """Make cls the GraphQL enum `name` wherever a field or argument is annotated with it."""
    strawberry.enum(cls, name=name, description=description)
    definition = getattr(cls, "__strawberry_definition__")  # noqa: B009 - set just above
    assert isinstance(definition, StrawberryEnumDefinition)
    for value in definition.values:
        value.description = (values or {}).get(cls[value.name])
