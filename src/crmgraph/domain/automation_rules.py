"""Automation rules of pipeline stages: the API's shapes, their checks and the JSON stored
for them. Triggers are in automation_triggers, conditions in automation_conditions, actions
in automation_actions; automation_runs runs them."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from crmgraph.db import models
from crmgraph.db.scoping import Scope
from crmgraph.domain import automation_triggers, bounds, validation
from crmgraph.domain.activities import check_all_exist
from crmgraph.domain.automation_actions import check_action
from crmgraph.domain.automation_conditions import MATCHES, check_condition


@dataclass(frozen=True, kw_only=True)
class RuleCondition:
    field: str
    operator: str
    value: Any = None


@dataclass(frozen=True, kw_only=True)
class RuleAction:
    """One step of a rule; parameters are the action's other keys (userId, title, ...)."""

    type: str
    parameters: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class AutomationRule:
    """Either shape of the API design: one `action` with `parameters`, or `conditions` and a
    list of `actions` (both may be combined: the single action runs first). `id` is given
    when the rule is stored and kept while the client passes it back; `match` says whether
    all conditions must hold or any."""

    trigger: str
    action: str | None = None
    parameters: dict[str, Any] | None = None
    conditions: tuple[RuleCondition, ...] = ()
    actions: tuple[RuleAction, ...] = ()
    id: UUID | None = None
    match: str = "all"

    def steps(self) -> list[RuleAction]:
        """Every action, in the order they run."""
        if self.action is None:
            return list(self.actions)
        return [RuleAction(type=self.action, parameters=self.parameters or {}), *self.actions]


async def stored_rules(
    session: AsyncSession,
    scope: Scope,
    rules: Sequence[AutomationRule],
    *,
    field: str = "automationRules",
    keep: Collection[UUID] = (),
) -> list[dict[str, Any]]:
    """rules_to_json, and every user a rule names must be in the tenant's directory
    (NOT_FOUND naming the parameter otherwise). keep: the ids of the stage's rules now, which
    a rule may name to stay itself (its runs stay its own)."""
    users: list[tuple[UUID, str]] = []
    stored = rules_to_json(rules, field=field, keep=keep, users=users)
    for user, where in users:
        await check_all_exist(session, scope, models.User, [user], field=where)
    return stored


def rules_to_json(
    rules: Sequence[AutomationRule],
    *,
    field: str = "automationRules",
    keep: Collection[UUID] = (),
    users: list[tuple[UUID, str]] | None = None,
) -> list[dict[str, Any]]:
    """The stored form is the API design's JSON plus each rule's id (and `match` when it is
    `any`): keys are left out when empty, and an action's parameters sit beside its type
    ({"type": "assign_user", "userId": ...}). A rule without an id, or with one not in keep,
    gets a new one. users collects the user ids the rules name, with their fields."""
    validation.at_most(rules, bounds.AUTOMATION_RULES, field=field)
    out = [_rule_json(rule, field=f"{field}.{i}", users=users) for i, rule in enumerate(rules)]
    taken: set[str] = set()
    for rule, stored in zip(rules, out, strict=True):
        given = str(rule.id) if rule.id is not None and rule.id in keep else None
        if given is None or given in taken:
            given = str(uuid.uuid4())
        taken.add(given)
        stored["id"] = given
    return out


def rules_from_json(raw: object) -> list[AutomationRule]:
    """Tolerant of rows written by other clients: unknown keys are dropped, odd types skipped."""
    if not isinstance(raw, list):
        return []
    # Cut to the bounds the router prices these lists by, whoever wrote the row.
    return [_rule(item) for item in raw if isinstance(item, dict)][: bounds.AUTOMATION_RULES]


def _rule_json(
    rule: AutomationRule, *, field: str, users: list[tuple[UUID, str]] | None
) -> dict[str, Any]:
    trigger = validation.required_text(rule.trigger, field=f"{field}.trigger", max_length=100)
    if automation_triggers.canonical(trigger) is None:
        known = ", ".join(automation_triggers.names())
        raise validation.invalid(f"{field}.trigger", f"unknown trigger {trigger!r}; known: {known}")
    out: dict[str, Any] = {"trigger": trigger}
    if rule.match not in MATCHES:
        raise validation.invalid(f"{field}.match", "match must be all or any")
    if rule.match != "all":
        out["match"] = rule.match
    named = users if users is not None else []
    if rule.action is not None:
        out["action"] = validation.required_text(
            rule.action, field=f"{field}.action", max_length=100
        )
        named += check_action(out["action"], rule.parameters or {}, field=f"{field}.action",
                              where=f"{field}.parameters")  # fmt: skip
    elif rule.parameters is not None:
        raise validation.invalid(f"{field}.parameters", "parameters belong to an action")
    if rule.parameters is not None:
        out["parameters"] = rule.parameters
    validation.at_most(rule.conditions, bounds.RULE_CONDITIONS, field=f"{field}.conditions")
    validation.at_most(rule.actions, bounds.RULE_ACTIONS, field=f"{field}.actions")
    if rule.conditions:
        out["conditions"] = [
            _condition_json(c, field=f"{field}.conditions.{j}")
            for j, c in enumerate(rule.conditions)
        ]
    if rule.actions:
        out["actions"] = [_action_json(a, field=f"{field}.actions.{j}", users=named) for j, a in
                          enumerate(rule.actions)]  # fmt: skip
    if rule.action is None and not rule.actions:
        raise validation.invalid(field, "a rule needs an action or a list of actions")
    return out


def _condition_json(condition: RuleCondition, *, field: str) -> dict[str, Any]:
    name = validation.required_text(condition.field, field=f"{field}.field")
    operator = validation.required_text(condition.operator, field=f"{field}.operator",
                                        max_length=50)  # fmt: skip
    check_condition(name, operator, condition.value, field=field)
    return {"field": name, "operator": operator, "value": condition.value}


def _action_json(
    action: RuleAction, *, field: str, users: list[tuple[UUID, str]]
) -> dict[str, Any]:
    if "type" in action.parameters:
        raise validation.invalid(f"{field}.parameters", "parameters cannot contain a type key")
    kind = validation.required_text(action.type, field=f"{field}.type", max_length=100)
    users += check_action(kind, action.parameters, field=f"{field}.type",
                          where=f"{field}.parameters")  # fmt: skip
    return {"type": kind, **action.parameters}


def _rule(raw: dict[str, Any]) -> AutomationRule:
    parameters = raw.get("parameters")
    action = raw.get("action")
    match = raw.get("match")
    return AutomationRule(
        id=_uuid(raw.get("id")),
        match=match if match in MATCHES else "all",
        trigger=str(raw.get("trigger", "")),
        action=action if isinstance(action, str) else None,
        parameters=parameters if isinstance(parameters, dict) else None,
        conditions=tuple(
            RuleCondition(
                field=str(c.get("field", "")),
                operator=str(c.get("operator", "")),
                value=c.get("value"),
            )
            for c in _dicts(raw.get("conditions"))[: bounds.RULE_CONDITIONS]
        ),
        actions=tuple(
            RuleAction(
                type=str(a.get("type", "")),
                parameters={k: v for k, v in a.items() if k != "type"},
            )
            for a in _dicts(raw.get("actions"))[: bounds.RULE_ACTIONS]
        ),
    )


def _dicts(value: object) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _uuid(value: object) -> UUID | None:
    try:
        return UUID(value) if isinstance(value, str) else None
    except ValueError:
        return None
