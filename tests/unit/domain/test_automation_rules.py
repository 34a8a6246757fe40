"""Stage automation as plain functions: conditions on hand-made facts, the checks of rules
as they are written, and which triggers an event fires."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from crmgraph.domain import automation_triggers
from crmgraph.domain.automation_actions import due_offset
from crmgraph.domain.automation_conditions import rule_applies
from crmgraph.domain.automation_rules import (
    AutomationRule,
    RuleAction,
    RuleCondition,
    rules_to_json,
)
from crmgraph.errors import DomainError
from crmgraph.events import payloads, states
from crmgraph.events.consumer_topics import WANTS

OWNER = uuid.uuid4()
FACTS: dict[str, Any] = {
    "value": Decimal("15000.00"),
    "probability": 25,
    "title": "Big Deal",
    "currency": "USD",
    "stage": "Qualification",
    "previousStage": None,
    "ownerId": OWNER,
    "expectedCloseDate": datetime(2026, 12, 31, tzinfo=UTC),
    "customFields": {"tier": "gold", "seats": 40},
}


@pytest.mark.parametrize(
    ("field", "operator", "value", "expected"),
    [
        ("value", "greater_than", 10000, True),
        ("value", "greater_than", 15000, False),
        ("value", "greater_than_or_equals", "15000", True),
        ("value", "less_than", 15000.01, True),
        ("value", "less_than_or_equals", 14999, False),
        ("value", "equals", 15000, True),
        ("probability", "not_equals", 25, False),
        ("title", "contains", "big", True),
        ("title", "contains", "small", False),
        ("stage", "equals", "qualification", True),
        ("stage", "in", ["Proposal", "Qualification"], True),
        ("stage", "not_in", ["Proposal"], True),
        ("ownerId", "equals", str(OWNER), True),
        ("ownerId", "equals", str(uuid.uuid4()), False),
        ("expectedCloseDate", "less_than", "2027-01-01", True),
        ("expectedCloseDate", "greater_than", "2027-01-01T00:00:00Z", False),
        ("previousStage", "is_empty", None, True),
        ("previousStage", "equals", "Lead", False),
        ("previousStage", "not_equals", "Lead", True),
        ("customFields.tier", "equals", "gold", True),
        ("customFields.seats", "greater_than", 30, True),
        ("customFields.tier", "greater_than", 30, False),
        ("customFields.missing", "is_not_empty", None, False),
    ],
)
def test_one_condition(field: str, operator: str, value: Any, expected: bool) -> None:
    # Written first: a condition that could not be evaluated is refused there.
    rules_to_json([rule(RuleCondition(field=field, operator=operator, value=value))])

    assert rule_applies([(field, operator, value)], "all", FACTS) is expected


def test_all_needs_every_condition_and_any_one() -> None:
    high, gold = ("value", "greater_than", 10000), ("customFields.tier", "equals", "silver")

    assert rule_applies([high, gold], "all", FACTS) is False
    assert rule_applies([high, gold], "any", FACTS) is True
    assert rule_applies([gold], "any", FACTS) is False
    assert rule_applies([], "all", FACTS) is True


def rule(*conditions: RuleCondition, **fields: Any) -> AutomationRule:
    values: dict[str, Any] = {"trigger": "stage_entered", "conditions": conditions,
                              "action": "create_task", "parameters": {"title": "Call"}}  # fmt: skip
    values.update(fields)
    return AutomationRule(**values)


def refused(rule_: AutomationRule) -> tuple[str | None, str]:
    with pytest.raises(DomainError) as raised:
        rules_to_json([rule_])
    assert raised.value.code == "VALIDATION_ERROR"
    return raised.value.field, raised.value.message


F = "automationRules.0"


@pytest.mark.parametrize(
    ("bad", "field", "says"),
    [
        (rule(trigger="deal_won"), f"{F}.trigger", "unknown trigger 'deal_won'"),
        (rule(match="some"), f"{F}.match", "all or any"),
        (rule(RuleCondition(field="colour", operator="equals", value=1)),
         f"{F}.conditions.0.field", "unknown field 'colour'"),
        (rule(RuleCondition(field="value", operator="bigger", value=1)),
         f"{F}.conditions.0.operator", "unknown operator 'bigger'"),
        (rule(RuleCondition(field="stage", operator="greater_than", value="a")),
         f"{F}.conditions.0.operator", "greater_than does not apply to stage"),
        (rule(RuleCondition(field="value", operator="greater_than", value="lots")),
         f"{F}.conditions.0.value", "must be a number"),
        (rule(RuleCondition(field="value", operator="in", value=5)),
         f"{F}.conditions.0.value", "a list"),
        (rule(RuleCondition(field="ownerId", operator="equals", value="user_senior_rep")),
         f"{F}.conditions.0.value", "UUID"),
        (rule(RuleCondition(field="title", operator="is_empty", value="x")),
         f"{F}.conditions.0.value", "takes no value"),
        (rule(action="send_fax"), f"{F}.action", "unknown action 'send_fax'"),
        (rule(parameters={}), f"{F}.parameters.title", "create_task needs title"),
        (rule(parameters={"title": "Call", "dueIn": 1}), f"{F}.parameters.dueIn",
         "create_task takes"),
        (rule(parameters={"title": "Call", "dueInDays": -1}), f"{F}.parameters.dueInDays",
         "not negative"),
        (rule(parameters={"title": "Call", "priority": "SOON"}), f"{F}.parameters.priority",
         "LOW, MEDIUM, HIGH, URGENT"),
        (rule(action="assign_user", parameters={"userId": "user_senior_rep"}),
         f"{F}.parameters.userId", "UUID"),
        (rule(action="update_field", parameters={"field": "stageId", "value": "x"}),
         f"{F}.parameters.field", "update_field cannot set 'stageId'"),
        (rule(action="update_field", parameters={"field": "probability", "value": 150}),
         f"{F}.parameters.value", "between 0 and 100"),
        (rule(action="update_field", parameters={"field": "title", "value": None}),
         f"{F}.parameters.value", "title cannot be null"),
        (rule(action="emit_webhook", parameters={"event": "High Value!"}),
         f"{F}.parameters.event", "a-z, 0-9"),
        (rule(action=None, parameters=None,
              actions=(RuleAction(type="emit_webhook", parameters={"event": "x", "data": [1]}),)),
         f"{F}.actions.0.parameters.data", "JSON object"),
    ],
)  # fmt: skip
def test_a_rule_that_cannot_run_is_refused_naming_its_field(
    bad: AutomationRule, field: str, says: str
) -> None:
    found_field, message = refused(bad)

    assert found_field == field
    assert says in message


def test_every_action_of_the_api_design_is_accepted() -> None:
    stored = rules_to_json([
        rule(trigger="deal_entered_stage", match="any", actions=(
            RuleAction(type="assign_user", parameters={"userId": str(OWNER)}),
            RuleAction(type="update_field", parameters={"field": "probability", "value": 40}),
            RuleAction(type="update_field", parameters={"field": "customFields.tier",
                                                        "value": "gold"}),
            RuleAction(type="update_field", parameters={"field": "expectedCloseDate",
                                                        "value": "2027-01-31"}),
            RuleAction(type="emit_webhook", parameters={"event": "high_value.review",
                                                        "data": {"k": 1}}),
        )),
    ])  # fmt: skip

    assert stored[0]["match"] == "any"
    assert [a["type"] for a in stored[0]["actions"]] == [
        "assign_user", "update_field", "update_field", "update_field", "emit_webhook"
    ]  # fmt: skip


def test_due_offsets_add_up() -> None:
    assert due_offset({"dueInDays": 1, "dueInHours": 2, "dueInMinutes": 30}) == timedelta(
        days=1, hours=2, minutes=30
    )
    assert due_offset({"title": "x"}) is None


NOW = datetime(2026, 11, 28, tzinfo=UTC)


def deal(**changes: Any) -> states.DealState:
    values: dict[str, Any] = dict(
        id=uuid.uuid4(), tenant_id="t", created_at=NOW, updated_at=NOW, title="D",
        value=Decimal("10.00"), currency="USD", pipeline_id=uuid.uuid4(),
        stage_id=uuid.uuid4(), probability=10, status="ACTIVE", expected_close_date=None,
        actual_close_date=None, description=None, custom_fields=None, contact_id=None,
        account_id=None, owner_id=None, stage_entered_at=NOW,
    )  # fmt: skip
    values.update(changes)
    return states.DealState(**values)


def test_a_stage_move_fires_entered_for_the_new_stage_and_exited_for_the_old() -> None:
    moved, old = deal(), uuid.uuid4()
    event = payloads.DealStageChanged(
        deal=moved, from_stage_id=old, to_stage_id=moved.stage_id, from_stage_name="Lead",
        to_stage_name="Proposal", reason=None,
    )  # fmt: skip

    fired = automation_triggers.fired("deal.stage_changed", event)

    assert [(f.trigger, f.stage_id) for f in fired] == [
        ("stage_entered", moved.stage_id),
        ("stage_exited", old),
    ]
    assert fired[0].facts == {"stage": "Proposal", "previousStage": "Lead"}


def test_only_an_update_that_changed_the_value_fires_deal_value_changed() -> None:
    same = payloads.DealUpdated(deal=deal())
    changed = payloads.DealUpdated(deal=deal(), previous_value=Decimal("5.00"))

    assert automation_triggers.fired("deal.updated", same) == []
    [fired] = automation_triggers.fired("deal.updated", changed)
    assert (fired.trigger, fired.facts) == ("deal_value_changed", {"previousValue": Decimal("5")})


def test_the_automation_consumer_wants_the_topics_of_the_triggers() -> None:
    assert WANTS["automation"] == automation_triggers.topics()
    assert automation_triggers.canonical("deal_entered_stage") == "stage_entered"
