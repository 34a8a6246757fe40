"""Automation rules of pipeline stages: the API's shapes and the JSON stored for them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from crmgraph.domain import bounds, validation


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
    list of `actions` (both may be combined)."""

    trigger: str
    action: str | None = None
    parameters: dict[str, Any] | None = None
    conditions: tuple[RuleCondition, ...] = ()
    actions: tuple[RuleAction, ...] = ()


def rules_to_json(
    rules: Sequence[AutomationRule], *, field: str = "automationRules"
) -> list[dict[str, Any]]:
    """The stored form is the API design's JSON: keys are left out when empty, and an
    action's parameters sit beside its type ({"type": "assign_user", "userId": ...})."""
    validation.at_most(rules, bounds.AUTOMATION_RULES, field=field)
    return [_rule_json(rule, field=f"{field}.{i}") for i, rule in enumerate(rules)]


def rules_from_json(raw: object) -> list[AutomationRule]:
    """Tolerant of rows written by other clients: unknown keys are dropped, odd types skipped."""
    if not isinstance(raw, list):
        return []
    # Cut to the bounds the router prices these lists by, whoever wrote the row.
    return [_rule(item) for item in raw if isinstance(item, dict)][: bounds.AUTOMATION_RULES]


def _rule_json(rule: AutomationRule, *, field: str) -> dict[str, Any]:
    out: dict[str, Any] = {
        "trigger": validation.required_text(rule.trigger, field=f"{field}.trigger", max_length=100)
    }
    if rule.action is not None:
        out["action"] = validation.required_text(
            rule.action, field=f"{field}.action", max_length=100
        )
    if rule.parameters is not None:
        out["parameters"] = rule.parameters
    validation.at_most(rule.conditions, bounds.RULE_CONDITIONS, field=f"{field}.conditions")
    validation.at_most(rule.actions, bounds.RULE_ACTIONS, field=f"{field}.actions")
    if rule.conditions:
        out["conditions"] = [
            {
                "field": validation.required_text(c.field, field=f"{field}.conditions.{j}.field"),
                "operator": validation.required_text(
                    c.operator, field=f"{field}.conditions.{j}.operator", max_length=50
                ),
                "value": c.value,
            }
            for j, c in enumerate(rule.conditions)
        ]
    if rule.actions:
        out["actions"] = [_action_json(a, field=f"{field}.actions.{j}") for j, a in
                          enumerate(rule.actions)]  # fmt: skip
    if rule.action is None and not rule.actions:
        raise validation.invalid(field, "a rule needs an action or a list of actions")
    return out


def _action_json(action: RuleAction, *, field: str) -> dict[str, Any]:
    if "type" in action.parameters:
        raise validation.invalid(f"{field}.parameters", "parameters cannot contain a type key")
    kind = validation.required_text(action.type, field=f"{field}.type", max_length=100)
    return {"type": kind, **action.parameters}


def _rule(raw: dict[str, Any]) -> AutomationRule:
    parameters = raw.get("parameters")
    action = raw.get("action")
    return AutomationRule(
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
