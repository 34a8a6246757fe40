"""Hypothesis strategies for event payloads, derived from their type hints: every field of
every payload class gets values of its declared type, None and absence included."""

from __future__ import annotations

import types
from dataclasses import fields, is_dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Union, get_args, get_origin, get_type_hints
from uuid import UUID

from hypothesis import strategies as st
from msgspec import UNSET, UnsetType

from crmgraph.events.payloads import ActivityEvent, Payload

TEXT = st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=12)
JSON_VALUES: st.SearchStrategy[Any] = st.recursive(
    st.none() | st.booleans() | st.integers() | TEXT
    | st.floats(allow_nan=False, allow_infinity=False),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
    max_leaves=6,
)  # fmt: skip


def of_type(hint: Any) -> st.SearchStrategy[Any]:
    """Values of the type hint."""
    origin, args = get_origin(hint), get_args(hint)
    if origin in (Union, types.UnionType):
        return st.one_of(*[of_type(arg) for arg in args])
    if origin is list:
        return st.lists(of_type(args[0]), max_size=3)
    if origin is dict:
        return st.dictionaries(TEXT, JSON_VALUES, max_size=3)
    if is_dataclass(hint) and isinstance(hint, type):
        return instances(hint)
    simple: dict[Any, st.SearchStrategy[Any]] = {
        type(None): st.none(),
        UnsetType: st.just(UNSET),
        UUID: st.uuids(),
        str: TEXT,
        int: st.integers(min_value=-(2**63), max_value=2**63 - 1),
        Decimal: st.decimals(allow_nan=False, allow_infinity=False),
        datetime: st.datetimes(timezones=st.just(UTC)),
    }
    return simple[hint]


def instances(cls: type[Any]) -> st.SearchStrategy[Any]:
    hints = get_type_hints(cls)
    if issubclass(cls, ActivityEvent):  # exactly one of its three activity slots
        slots = ("task", "event", "communication")
        return st.sampled_from(slots).flatmap(
            lambda slot: st.builds(
                cls,
                actor_id=of_type(hints["actor_id"]),
                **{slot: instances(get_args(hints[slot])[0])},
            )
        )
    return st.builds(cls, **{f.name: of_type(hints[f.name]) for f in fields(cls)})


def payloads(cls: type[Payload]) -> st.SearchStrategy[Payload]:
    return instances(cls)
