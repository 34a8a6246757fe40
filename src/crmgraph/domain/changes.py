"""Partial updates: the one rule every update mutation and domain update function follows.

Each update takes a change set: a frozen dataclass (ContactChanges, TaskChanges, ...) whose
fields are named like the update input's fields and default to UNSET, Strawberry's own
sentinel, so a GraphQL input passes through as it came (crmgraph.gql.inputs.given).

- A field left UNSET (absent from the input) keeps its value.
- None (null) clears a field whose type allows it (`Maybe[str | None]`): an optional value
  becomes null, a list becomes empty.
- None on a field whose type does not allow it (`Maybe[str]`) is a VALIDATION_ERROR naming
  the input field (`firstName cannot be null`), raised by `sent` before anything is set, so
  the mutation changes nothing.

`Maybe` is not `strawberry.Maybe` (which wraps a sent value in `Some`): it is the plain
union with UNSET that Strawberry inputs already produce.
"""

from __future__ import annotations

import dataclasses
import types
from collections.abc import Callable, Mapping
from functools import cache
from typing import TYPE_CHECKING, Any, TypeAlias, TypeVar, get_args, get_type_hints

from strawberry.types.unset import UNSET, UnsetType

from crmgraph.db.models import TenantRow
from crmgraph.domain import validation

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

__all__ = ["UNSET", "Maybe", "Rule", "UnsetType", "apply_changes", "camel", "sent"]

T = TypeVar("T")
Maybe: TypeAlias = T | UnsetType
Rule = Callable[[Any], Any]


def sent(changes: DataclassInstance) -> dict[str, Any]:
    """{field: value} for the fields of a change set that are not UNSET; None on a field
    whose type does not allow None is a VALIDATION_ERROR (see the module's docstring)."""
    out: dict[str, Any] = {}
    nullable = _nullable(type(changes))
    for f in dataclasses.fields(changes):
        value = getattr(changes, f.name)
        if value is UNSET:
            continue
        if value is None and not nullable[f.name]:
            field = camel(f.name)
            raise validation.invalid(field, f"{field} cannot be null")
        out[f.name] = value
    return out


def apply_changes(row: TenantRow, changes: Mapping[str, Any], rules: Mapping[str, Rule]) -> None:
    """Set each changed attribute after its rule (identity when absent); None is set as it is,
    so `changes` must come from `sent` (or a create's own values). Unknown keys are a
    programming error, not client input, so they raise KeyError."""
    for name, value in changes.items():
        if not hasattr(row, name):
            raise KeyError(name)
        rule = rules.get(name)
        setattr(row, name, value if rule is None or value is None else rule(value))


def camel(name: str) -> str:
    """The input field's name of a change set's field: job_title -> jobTitle."""
    head, *rest = name.split("_")
    return head + "".join(part.capitalize() for part in rest)


@cache
def _nullable(cls: type[DataclassInstance]) -> dict[str, bool]:
    """Which fields of a change set accept None, read once from its type hints."""
    hints = get_type_hints(cls)
    return {f.name: types.NoneType in get_args(hints[f.name]) for f in dataclasses.fields(cls)}
