"""The conditions of automation rules: which deal facts a condition may name, its operators,
their checks when a rule is written, and their evaluation (plain functions, no database).

A condition is {field, operator, value}. Its field is a deal field as the API names it
(`value`, `ownerId`, `customFields.tier`) or a fact of the trigger (`stage`, the stage the
deal is in after the event; `previousStage`; `previousValue`, the value before a
deal_value_changed). A rule's conditions must all hold (match `all`, the default) or at least
one (match `any`); a rule without conditions always acts.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from uuid import UUID

from crmgraph.domain import validation
from crmgraph.errors import DomainError

NUMBER, TEXT, ID, DATE, ANY = "number", "text", "id", "date", "any"
CUSTOM = "customFields."

# What each field holds; customFields.<key> holds any JSON.
FIELDS: Mapping[str, str] = {
    "value": NUMBER,
    "probability": NUMBER,
    "previousValue": NUMBER,
    "title": TEXT,
    "currency": TEXT,
    "status": TEXT,
    "description": TEXT,
    "stage": TEXT,
    "previousStage": TEXT,
    "ownerId": ID,
    "accountId": ID,
    "contactId": ID,
    "pipelineId": ID,
    "expectedCloseDate": DATE,
}
MATCHES = ("all", "any")

# Operator -> the field types it applies to, and what its value must be.
ORDERED = frozenset({NUMBER, DATE, ANY})
SCALAR = frozenset({NUMBER, TEXT, ID, DATE, ANY})
OPERATORS: Mapping[str, tuple[frozenset[str], str]] = {
    "equals": (SCALAR, "scalar"),
    "not_equals": (SCALAR, "scalar"),
    "greater_than": (ORDERED, "scalar"),
    "greater_than_or_equals": (ORDERED, "scalar"),
    "less_than": (ORDERED, "scalar"),
    "less_than_or_equals": (ORDERED, "scalar"),
    "contains": (frozenset({TEXT, ANY}), "text"),
    "in": (SCALAR, "list"),
    "not_in": (SCALAR, "list"),
    "is_empty": (SCALAR, "none"),
    "is_not_empty": (SCALAR, "none"),
}


def field_type(name: str) -> str | None:
    if name.startswith(CUSTOM) and len(name) > len(CUSTOM):
        return ANY
    return FIELDS.get(name)


def check_condition(name: str, operator: str, value: Any, *, field: str) -> None:
    """VALIDATION_ERROR naming `field.field`, `field.operator` or `field.value` when the
    condition could never be evaluated as written."""
    kind = field_type(name)
    if kind is None:
        known = ", ".join([*FIELDS, CUSTOM + "<key>"])
        raise validation.invalid(f"{field}.field", f"unknown field {name!r}; known: {known}")
    spec = OPERATORS.get(operator)
    if spec is None:
        known = ", ".join(OPERATORS)
        raise validation.invalid(
            f"{field}.operator", f"unknown operator {operator!r}; known: {known}"
        )
    types, takes = spec
    if kind not in types:
        raise validation.invalid(f"{field}.operator", f"{operator} does not apply to {name}")
    where = f"{field}.value"
    if takes == "none":
        if value is not None:
            raise validation.invalid(where, f"{operator} takes no value")
        return
    if takes == "list":
        if not isinstance(value, list) or not 1 <= len(value) <= 50:
            raise validation.invalid(where, f"{operator} takes a list of 1 to 50 values")
        for item in value:
            _operand(kind, item, field=where)
        return
    if takes == "text" and not isinstance(value, str):
        raise validation.invalid(where, f"{operator} takes a text value")
    _operand(kind, value, field=where)


def _operand(kind: str, value: Any, *, field: str) -> Any:
    """The value as the field's type compares it; VALIDATION_ERROR when it cannot be."""
    if kind == ANY:
        if isinstance(value, dict | list):
            raise validation.invalid(field, "a condition compares with a number, text or bool")
        return value
    if value is None or isinstance(value, bool):
        raise validation.invalid(field, f"the value must be a {kind}")
    if kind == NUMBER:
        if not isinstance(value, int | float | str):
            raise validation.invalid(field, "the value must be a number")
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            raise validation.invalid(field, "the value must be a number") from None
        if not number.is_finite():
            raise validation.invalid(field, "the value must be a finite number")
        return number
    if not isinstance(value, str):
        raise validation.invalid(field, f"the value must be {'an' if kind == ID else 'a'} {kind}")
    if kind == ID:
        try:
            return UUID(value)
        except ValueError:
            raise validation.invalid(field, "the value must be an id (a UUID)") from None
    if kind == DATE:
        return _date(value, field=field)
    return value


def _date(value: str, *, field: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise validation.invalid(field, "the value must be an ISO 8601 date") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def holds(name: str, operator: str, value: Any, facts: Mapping[str, Any]) -> bool:
    """Whether one (checked) condition holds of facts (field name -> Python value: Decimal,
    str, UUID, datetime, None; customFields.<key> looked up in facts["customFields"])."""
    kind = field_type(name) or ANY
    fact = _fact(name, facts)
    if operator == "is_empty":
        return fact is None or fact == ""
    if operator == "is_not_empty":
        return not (fact is None or fact == "")
    if fact is None:
        return operator in ("not_equals", "not_in")
    if operator in ("in", "not_in"):
        found = any(_equal(kind, fact, item) for item in value)
        return found if operator == "in" else not found
    if operator == "equals":
        return _equal(kind, fact, value)
    if operator == "not_equals":
        return not _equal(kind, fact, value)
    if operator == "contains":
        return isinstance(fact, str) and str(value).casefold() in fact.casefold()
    return _ordered(kind, fact, value, COMPARE[operator])


COMPARE: Mapping[str, Callable[[Any, Any], bool]] = {
    "greater_than": lambda a, b: a > b,
    "greater_than_or_equals": lambda a, b: a >= b,
    "less_than": lambda a, b: a < b,
    "less_than_or_equals": lambda a, b: a <= b,
}


def rule_applies(conditions: Sequence[tuple[str, str, Any]], match: str,
                 facts: Mapping[str, Any]) -> bool:  # fmt: skip
    """all (default) or any of conditions hold; no conditions: always."""
    if not conditions:
        return True
    results = (holds(name, op, value, facts) for name, op, value in conditions)
    return any(results) if match == "any" else all(results)


def _fact(name: str, facts: Mapping[str, Any]) -> Any:
    if name.startswith(CUSTOM):
        custom = facts.get("customFields")
        return custom.get(name[len(CUSTOM) :]) if isinstance(custom, Mapping) else None
    return facts.get(name)


def _equal(kind: str, fact: Any, value: Any) -> bool:
    if kind == TEXT:
        return isinstance(value, str) and fact.casefold() == value.casefold()
    if kind == ANY:
        return bool(fact == value)
    try:
        return bool(fact == _operand(kind, value, field="value"))
    except DomainError:
        return False


def _ordered(kind: str, fact: Any, value: Any, compare: Callable[[Any, Any], bool]) -> bool:
    try:
        if kind == ANY:  # a custom field: numbers compare as numbers, anything else not at all
            fact, value = _operand(NUMBER, fact, field="f"), _operand(NUMBER, value, field="v")
        else:
            value = _operand(kind, value, field="value")
        return compare(fact, value)
    except (DomainError, TypeError):
        return False
