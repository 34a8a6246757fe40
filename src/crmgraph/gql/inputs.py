"""Turning partial-update inputs into a dict of changes (UNSET fields left out)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import strawberry


def given(spec: Any, **convert: Callable[[Any], Any]) -> dict[str, Any]:
    """{field: value} for the fields the client sent; convert[field] maps non-null values.
    Field names are the Python (snake_case) names, which match the model columns."""
    out: dict[str, Any] = {}
    for f in dataclasses.fields(spec):
        value = getattr(spec, f.name)
        if value is strawberry.UNSET:
            continue
        if value is not None and f.name in convert:
            value = convert[f.name](value)
        out[f.name] = value
    return out
