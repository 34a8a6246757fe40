"""Automation rules of crmgraph.domain.automation_rules: the stored JSON and its checks."""

from __future__ import annotations

from typing import Any

import pytest

from crmgraph.domain import automation_rules
from crmgraph.domain.automation_rules import AutomationRule, RuleAction, RuleCondition
from crmgraph.errors import DomainError
from subgraphs.pipelines.loaders import whole_days

# The two REST examples of the API design: update stage, and stage automation.
SINGLE_ACTION: dict[str, Any] = {
    "trigger": "stage_entered",
    "action": "create_task",
    "parameters": {"title": "Qualification call", "dueInDays": 1},
}
ACTION_LIST: dict[str, Any] = {
    "trigger": "deal_entered_stage",
    "conditions": [{"field": "value", "operator": "greater_than", "value": 10000}],
    "actions": [
        {"type": "assign_user", "userId": "user_senior_rep"},
        {"type": "create_task", "title": "High-value deal review", "dueInHours": 24},
    ],
}


def test_both_rest_rule_shapes_round_trip() -> None:
    rules = automation_rules.rules_from_json([SINGLE_ACTION, ACTION_LIST])

    assert rules == [
        AutomationRule(
            trigger="stage_entered",
            action="create_task",
            parameters={"title": "Qualification call", "dueInDays": 1},
        ),
        AutomationRule(
            trigger="deal_entered_stage",
            conditions=(RuleCondition(field="value", operator="greater_than", value=10000),),
            actions=(
                RuleAction(type="assign_user", parameters={"userId": "user_senior_rep"}),
                RuleAction(
                    type="create_task",
                    parameters={"title": "High-value deal review", "dueInHours": 24},
                ),
            ),
        ),
    ]
    assert automation_rules.rules_to_json(rules) == [SINGLE_ACTION, ACTION_LIST]


def test_reading_rules_skips_what_is_not_a_rule() -> None:
    assert automation_rules.rules_from_json(None) == []
    assert automation_rules.rules_from_json({"trigger": "x"}) == []
    assert automation_rules.rules_from_json(
        ["x", {"trigger": "t", "conditions": "no", "actions": [1]}]
    ) == [AutomationRule(trigger="t")]


@pytest.mark.parametrize(
    ("rule", "field"),
    [
        (AutomationRule(trigger=" ", action="create_task"), "automationRules.0.trigger"),
        (AutomationRule(trigger="stage_entered"), "automationRules.0"),
        (
            AutomationRule(trigger="t", actions=(RuleAction(type=""),)),
            "automationRules.0.actions.0.type",
        ),
        (
            AutomationRule(trigger="t", actions=(RuleAction(type="a", parameters={"type": "b"}),)),
            "automationRules.0.actions.0.parameters",
        ),
        (
            AutomationRule(
                trigger="t", action="a", conditions=(RuleCondition(field="value", operator=""),)
            ),
            "automationRules.0.conditions.0.operator",
        ),
    ],
)
def test_invalid_rule_names_its_field(rule: AutomationRule, field: str) -> None:
    with pytest.raises(DomainError) as raised:
        automation_rules.rules_to_json([rule])

    assert (raised.value.code, raised.value.field) == ("VALIDATION_ERROR", field)


@pytest.mark.parametrize(
    ("seconds", "days"), [(None, 0), (0, 0), (86399.9, 0), (86400, 1), (11.9 * 86400, 11), (-5, 0)]
)
def test_whole_days_round_down(seconds: float | None, days: int) -> None:
    assert whole_days(seconds) == days
