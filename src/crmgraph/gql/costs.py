"""What the routers' cost limits price, written into each subgraph's SDL: `@listSize` on
every list field and connection (`@cost(weight: 0)` on the connection wrappers is declared
in crmgraph.gql.connections).

One source: router-config/list-sizes.json holds the bound of every list without a slicing
argument; Hive Gateway's cost rules (router-config/limits.ts) read the same file, and Hive
Router's demand control reads these directives from the supergraph, so both price an
operation alike (README: Limits)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any

from graphql import get_nullable_type, is_list_type
from strawberry import UNSET
from strawberry.federation.schema_directives import ListSize
from strawberry.schema.name_converter import NameConverter
from strawberry.types.base import StrawberryObjectDefinition

# router-config/list-sizes.json in a checkout, copied into this package by the wheel build
# (pyproject force-include) for installs.
_CANDIDATES = (
    Path(__file__).with_name("list-sizes.json"),
    Path(__file__).resolve().parents[3] / "router-config" / "list-sizes.json",
)
SIZES_PATH = next((p for p in _CANDIDATES if p.exists()), _CANDIDATES[-1])

# The arguments that size a page; `pagination` is an input object, read by its fields.
SLICING = {
    "first": ["first"],
    "last": ["last"],
    "pagination": ["pagination.first", "pagination.last"],
}


@cache
def list_sizes() -> dict[str, int]:
    """`Type.field` -> the most items that list returns."""
    sizes: dict[str, int] = json.loads(SIZES_PATH.read_text())["lists"]
    return sizes


def list_size(type_name: str, field_name: str, arguments: Iterable[str], is_list: bool) -> Any:
    """The @listSize for one field, or None when it is not a list.

    A sliced field is sized by its largest slicing argument, a connection through its
    edges; without one, Hive Router's `default_list_size` (our default page) applies, as
    `requireOneSlicingArgument: false` lets it. (`assumedSize` would override the arguments
    in Hive Router 0.2.0, so connections carry none.)"""
    slicing = [path for name in arguments for path in SLICING.get(name, ())]
    if slicing:
        return ListSize(
            assumed_size=UNSET,
            slicing_arguments=slicing,
            sized_fields=UNSET if is_list else ["edges"],
            require_one_slicing_argument=False,
        )
    size = list_sizes().get(f"{type_name}.{field_name}")
    if size is None:
        return None
    return ListSize(
        assumed_size=size, slicing_arguments=UNSET, sized_fields=UNSET,
        require_one_slicing_argument=UNSET,
    )  # fmt: skip


def annotate(type_map: dict[str, Any]) -> bool:
    """Put @listSize on every list or connection field of a built schema's types (the field
    objects are the classes' own, so the next build prints them). True when any was added."""
    names = NameConverter()
    added = False
    for entry in type_map.values():
        definition = entry.definition
        if not isinstance(definition, StrawberryObjectDefinition) or definition.is_input:
            continue
        graphql_type = entry.implementation
        for field in definition.fields:
            if any(isinstance(d, ListSize) for d in field.directives or ()):
                continue
            name = names.get_graphql_name(field)
            built = graphql_type.fields.get(name)
            if built is None:
                continue
            directive = list_size(definition.name, name, built.args, _is_list(built.type))
            if directive is not None:
                field.directives = [*(field.directives or ()), directive]
                added = True
    return added


def _is_list(graphql_type: Any) -> bool:
    return is_list_type(get_nullable_type(graphql_type))
