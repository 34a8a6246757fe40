"""Filters as plain data (field, operator, value), turned into SQL in one place.

The GraphQL layer builds Filter values from its inputs; nothing here knows GraphQL. Nested
filters (deals whose account's industry is X) become IN-subqueries over the related rows the
caller may read (crmgraph.db.scoping.visible): a caller reading accounts only at the own
level cannot learn, by filtering deals on an account's name, what another user's accounts
are called; to it such a filter matches no deal.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, String, cast, false, func, or_, select, true
from sqlalchemy.orm import InstrumentedAttribute

from crmgraph.db import models
from crmgraph.db.scoping import Scope, visible

OPERATORS = frozenset(
    {"eq", "ne", "in", "nin", "contains", "startsWith", "endsWith", "gt", "gte", "lt", "lte",
     "isNull"}
)  # fmt: skip


@dataclass(frozen=True)
class Condition:
    """column <op> value. contains/startsWith/endsWith always ignore case; eq/ne/in/nin
    ignore it when ignore_case is set (stage names: "qualification" finds "Qualification")."""

    column: str
    op: str
    value: Any
    ignore_case: bool = False


@dataclass(frozen=True)
class JsonCondition:
    """A key of a JSON object column (customFields), compared as text."""

    column: str
    key: str
    op: str
    value: Any


@dataclass(frozen=True)
class Related:
    """Rows whose `relation` (a foreign key to another table) matches filter."""

    relation: str
    filter: Filter


@dataclass(frozen=True)
class Filter:
    conditions: tuple[Condition | JsonCondition | Related, ...] = field(default=())

    def __bool__(self) -> bool:
        return bool(self.conditions)


# (model, relation name) -> (target model, foreign key column on model)
RELATIONS: dict[tuple[type[models.TenantRow], str], tuple[type[models.TenantRow], str]] = {
    (models.Deal, "account"): (models.Account, "account_id"),
    (models.Deal, "contact"): (models.Contact, "contact_id"),
    (models.Deal, "pipeline"): (models.Pipeline, "pipeline_id"),
    (models.Deal, "stage"): (models.PipelineStage, "stage_id"),
    (models.Contact, "account"): (models.Account, "account_id"),
}


def predicates(
    model: type[models.TenantRow], spec: Filter, scope: Scope
) -> list[ColumnElement[bool]]:
    return [_predicate(model, c, scope) for c in spec.conditions]


def _predicate(
    model: type[models.TenantRow], cond: Condition | JsonCondition | Related, scope: Scope
) -> ColumnElement[bool]:
    if isinstance(cond, Related):
        target, fk = RELATIONS[(model, cond.relation)]
        inner = visible(select(target.id), target, scope)
        inner = inner.where(*predicates(target, cond.filter, scope))
        return column(model, fk).in_(inner)
    if isinstance(cond, JsonCondition):
        json_col = column(model, cond.column)
        return compare(json_col[cond.key].as_string(), cond.op, cond.value)
    col: Any = column(model, cond.column)
    value = cond.value
    if cond.ignore_case and cond.op in ("eq", "ne", "in", "nin"):
        col = func.lower(col)
        value = tuple(v.lower() for v in value) if isinstance(value, tuple) else value.lower()
    return compare(col, cond.op, value)


def column(model: type[models.TenantRow], name: str) -> InstrumentedAttribute[Any]:
    attr: InstrumentedAttribute[Any] = getattr(model, name)
    return attr


def compare(col: Any, op: str, value: Any) -> ColumnElement[bool]:
    if op not in OPERATORS:
        raise ValueError(f"unknown filter operator {op}")
    if op == "isNull":
        null: ColumnElement[bool] = col.is_(None) if value else col.is_not(None)
        return null
    if op in ("contains", "startsWith", "endsWith"):
        pattern = _escape(str(value))
        pattern = {"contains": f"%{pattern}%", "startsWith": f"{pattern}%",
                   "endsWith": f"%{pattern}"}[op]  # fmt: skip
        return cast(col, String).ilike(pattern, escape="\\")
    if op == "in":
        return col.in_(list(value)) if value else false()
    if op == "nin":
        return or_(col.not_in(list(value)), col.is_(None)) if value else true()
    if op == "ne":
        return or_(col != value, col.is_(None))
    comparisons = {"eq": col.__eq__, "gt": col.__gt__, "gte": col.__ge__, "lt": col.__lt__,
                   "lte": col.__le__}  # fmt: skip
    result: ColumnElement[bool] = comparisons[op](value)
    return result


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
