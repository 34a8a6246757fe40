"""Turning an update input into its domain change set (crmgraph.domain.changes)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, TypeVar

from crmgraph.domain.changes import UNSET

C = TypeVar("C")


def given(spec: Any, into: Callable[..., C], **convert: Callable[[Any], Any]) -> C:
    """into(**fields): every field of the input under its Python name, UNSET (absent) and
    None (null) passed on as they are, since the domain applies the partial-update rule;
    convert[field] maps a value that was sent and is not null (an id, an enum, ...)."""
    values: dict[str, Any] = {}
    for f in dataclasses.fields(spec):
        value = getattr(spec, f.name)
        if value is not UNSET and value is not None and f.name in convert:
            value = convert[f.name](value)
        values[f.name] = value
    return into(**values)
