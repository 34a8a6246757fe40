"""Partial updates: apply only the fields a client sent, each through its rule."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from crmgraph.db.models import TenantRow
from crmgraph.domain import validation

Rule = Callable[[Any], Any]


def apply_changes(row: TenantRow, changes: Mapping[str, Any], rules: Mapping[str, Rule]) -> None:
    """Set each changed attribute after its rule (identity when absent). Unknown keys are a
    programming error, not client input, so they raise KeyError."""
    for name, value in changes.items():
        if not hasattr(row, name):
            raise KeyError(name)
        rule = rules.get(name)
        setattr(row, name, value if rule is None or value is None else rule(value))


def require(changes: Mapping[str, Any], *columns_and_fields: tuple[str, str]) -> None:
    for column, field in columns_and_fields:
        if column in changes and changes[column] is None:
            raise validation.invalid(field, f"{field} cannot be null")
