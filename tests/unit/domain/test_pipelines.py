"""Automation rules of crmgraph.domain.automation_rules: the stored JSON and its checks."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from crmgraph.domain import automation_rules
from crmgraph.domain.automation_rules import AutomationRule, RuleAction, RuleCondition
from crmgraph.errors import DomainError
from subgraphs.pipelines.loaders import whole_days

# The two REST examples of the API design: update stage, and stage automation (its user id
# is a placeholder there: a user is named by the UUID of the identity provider's subject).
SENIOR_REP = "6f0c8c6e-5d0a-4c43-9d7e-6d1b1b0a2f11"
SINGLE_ACTION: dict[str, Any] = {
    "trigger": "stage_entered",
    "action": "create_task",
    "parameters": {"title": "Qualification call", "dueInDays": 1},
}
ACTION_LIST: dict[str, Any] = {
    "trigger": "deal_entered_stage",
    "conditions": [{"field": "value", "operator": "greater_than", "value": 10000}],
    "actions": [
        {"type": "assign_user", "userId": SENIOR_REP},
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
                RuleAction(type="assign_user", parameters={"userId": SENIOR_REP}),
                RuleAction(
                    type="create_task",
                    parameters={"title": "High-value deal review", "dueInHours": 24},
                ),
            ),
        ),
    ]
    stored = automation_rules.rules_to_json(rules)
    assert [{k: v for k, v in rule.items() if k != "id"} for rule in stored] == [
        SINGLE_ACTION,
        ACTION_LIST,
    ]
    ids = [uuid.UUID(rule["id"]) for rule in stored]
    assert len(set(ids)) == 2


def test_a_rule_keeps_its_id_only_when_the_stage_has_it() -> None:
    kept, foreign = uuid.uuid4(), uuid.uuid4()
    rules = [
        AutomationRule(id=kept, trigger="stage_entered", action="create_task",
                       parameters={"title": "T"}),
        AutomationRule(id=foreign, trigger="stage_exited", action="create_task",
                       parameters={"title": "T"}),
    ]  # fmt: skip

    stored = automation_rules.rules_to_json(rules, keep={kept})

    assert stored[0]["id"] == str(kept)
    assert stored[1]["id"] not in (str(kept), str(foreign))
    assert [r.id for r in automation_rules.rules_from_json(stored)] == [
        kept,
        uuid.UUID(stored[1]["id"]),
    ]


def test_reading_rules_skips_what_is_not_a_rule() -> None:
    assert automation_rules.rules_from_json(None) == []
    assert automation_rules.rules_from_json({"trigger": "x"}) == []
    assert automation_rules.rules_from_json(
        ["x", {"trigger": "t", "conditions": "no", "actions": [1]}]
    ) == [AutomationRule(trigger="t")]


TASK = {"title": "Call"}


@pytest.mark.parametrize(
    ("rule", "field"),
    [
        (AutomationRule(trigger=" ", action="create_task"), "automationRules.0.trigger"),
        (AutomationRule(trigger="stage_entered"), "automationRules.0"),
        (AutomationRule(trigger="t", action="create_task"), "automationRules.0.trigger"),
        (
            AutomationRule(trigger="stage_exited", actions=(RuleAction(type=""),)),
            "automationRules.0.actions.0.type",
        ),
        (
            AutomationRule(
                trigger="stage_exited",
                actions=(RuleAction(type="create_task", parameters={"type": "b"}),),
            ),
            "automationRules.0.actions.0.parameters",
        ),
        (
            AutomationRule(
                trigger="deal_created",
                action="create_task",
                parameters=TASK,
                conditions=(RuleCondition(field="value", operator=""),),
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
