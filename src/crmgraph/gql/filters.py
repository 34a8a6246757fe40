"""Generic filter inputs of the API design (IDFilter, StringFilter, ...) and their translation
into crmgraph.db.filtering conditions. Type-specific filters live in their subgraphs."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from enum import Enum
from typing import Any

import strawberry

from crmgraph.db.filtering import Condition, JsonCondition
from crmgraph.db.pagination import Sort
from crmgraph.gql.ids import parse_id

# Python field names that are keywords or would clash, and the operator each stands for.
_OPS = {"in_": "in", "starts_with": "startsWith", "ends_with": "endsWith", "is_null": "isNull"}


@strawberry.input(description="Match ids.")
class IDFilter:
    eq: strawberry.ID | None = None
    ne: strawberry.ID | None = None
    in_: list[strawberry.ID] | None = strawberry.field(name="in", default=None)
    nin: list[strawberry.ID] | None = None


@strawberry.input(description="Match text; contains/startsWith/endsWith ignore case.")
class StringFilter:
    eq: str | None = None
    ne: str | None = None
    in_: list[str] | None = strawberry.field(name="in", default=None)
    nin: list[str] | None = None
    contains: str | None = None
    starts_with: str | None = None
    ends_with: str | None = None
    is_null: bool | None = None


@strawberry.input(description="Compare whole numbers.")
class IntFilter:
    eq: int | None = None
    ne: int | None = None
    gt: int | None = None
    gte: int | None = None
    lt: int | None = None
    lte: int | None = None
    in_: list[int] | None = strawberry.field(name="in", default=None)
    nin: list[int] | None = None


@strawberry.input(description="Compare numbers.")
class FloatFilter:
    eq: float | None = None
    ne: float | None = None
    gt: float | None = None
    gte: float | None = None
    lt: float | None = None
    lte: float | None = None
    in_: list[float] | None = strawberry.field(name="in", default=None)
    nin: list[float] | None = None


@strawberry.input(description="Compare times; a value without a zone is UTC.")
class DateTimeFilter:
    eq: datetime | None = None
    ne: datetime | None = None
    gt: datetime | None = None
    gte: datetime | None = None
    lt: datetime | None = None
    lte: datetime | None = None
    is_null: bool | None = None


@strawberry.input(description="Match one key of a JSON object (customFields), as text.")
class JSONFilter:
    key: str
    eq: str | None = None
    ne: str | None = None
    in_: list[str] | None = strawberry.field(name="in", default=None)
    contains: str | None = None
    exists: bool | None = None


@strawberry.enum
class SortDirection(Enum):
    ASC = "ASC"
    DESC = "DESC"


def conditions(column: str, spec: Any, *, ignore_case: bool = False) -> list[Condition]:
    """One Condition per operator set on a scalar filter input (None: no conditions)."""
    if spec is None:
        return []
    out = []
    for f in dataclasses.fields(spec):
        value = getattr(spec, f.name)
        if value is None:
            continue
        out.append(Condition(column, _OPS.get(f.name, f.name), _value(value), ignore_case))
    return out


def id_conditions(column: str, spec: IDFilter | None, *, field: str) -> list[Condition]:
    if spec is None:
        return []
    out = []
    for f in dataclasses.fields(spec):
        value = getattr(spec, f.name)
        if value is None:
            continue
        parsed: Any = (
            tuple(parse_id(v, field=field) for v in value)
            if isinstance(value, list)
            else parse_id(value, field=field)
        )
        out.append(Condition(column, _OPS.get(f.name, f.name), parsed))
    return out


def json_conditions(column: str, spec: JSONFilter | None) -> list[JsonCondition]:
    if spec is None:
        return []
    out = []
    for op in ("eq", "ne", "in_", "contains"):
        value = getattr(spec, op)
        if value is not None:
            out.append(JsonCondition(column, spec.key, _OPS.get(op, op), _value(value)))
    if spec.exists is not None:
        out.append(JsonCondition(column, spec.key, "isNull", not spec.exists))
    return out


def _value(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_value(v) for v in value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def sort_of(field: Enum | None, direction: SortDirection | None, columns: dict[str, str]) -> Sort:
    """The Sort for a type's sort-field enum value; columns maps enum values to columns."""
    if field is None:
        return Sort(descending=direction is SortDirection.DESC)
    return Sort(column=columns[field.value], descending=direction is SortDirection.DESC)
