"""Stage automation rules as GraphQL types and inputs, both shapes of the API design."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.scalars import JSON

from crmgraph.domain import automation_rules
from crmgraph.gql.ids import parse_optional_id
from crmgraph.gql.shared_types import json_object


@strawberry.type(description="A test a deal must pass for the rule to act.")
class AutomationCondition:
    field: str = strawberry.field(description="The deal field compared, e.g. value.")
    operator: str = strawberry.field(
        description="equals, not_equals, greater_than, greater_than_or_equals, less_than, "
        "less_than_or_equals, contains, in, not_in, is_empty or is_not_empty."
    )
    value: JSON | None = strawberry.field(description="Any JSON value the field is compared to.")


@strawberry.type(description="One step of a rule with a list of actions.")
class AutomationAction:
    type: str = strawberry.field(
        description="create_task, assign_user, update_field or emit_webhook."
    )
    parameters: JSON = strawberry.field(
        description="The action's other keys as one object, e.g. {userId} or {title, dueInHours}."
    )


@strawberry.type(
    description="What a stage does when its trigger fires: either one `action` with "
    "`parameters`, or `conditions` and a list of `actions`."
)
class AutomationRule:
    id: strawberry.ID | None = strawberry.field(
        description="Given when the rule is stored; its runs name it (automationRuns)."
    )
    trigger: str = strawberry.field(
        description="stage_entered (or deal_entered_stage), stage_exited (or "
        "deal_exited_stage), deal_created or deal_value_changed."
    )
    match: str = strawberry.field(description="all (the default) or any of the conditions.")
    action: str | None = strawberry.field(description="The single action, e.g. create_task.")
    parameters: JSON | None = strawberry.field(description="Parameters of the single action.")
    conditions: list[AutomationCondition] = strawberry.field(
        description="All must hold for the actions to run; empty means always."
    )
    actions: list[AutomationAction]

    @classmethod
    def from_domain(cls, rule: automation_rules.AutomationRule) -> AutomationRule:
        return cls(
            id=None if rule.id is None else strawberry.ID(str(rule.id)),
            trigger=rule.trigger,
            match=rule.match,
            action=rule.action,
            parameters=None if rule.parameters is None else JSON(rule.parameters),
            conditions=[
                AutomationCondition(field=c.field, operator=c.operator, value=JSON(c.value))
                for c in rule.conditions
            ],
            actions=[
                AutomationAction(type=a.type, parameters=JSON(a.parameters)) for a in rule.actions
            ],
        )


def rules_out(raw: list[dict[str, Any]] | None) -> list[AutomationRule]:
    return [AutomationRule.from_domain(rule) for rule in automation_rules.rules_from_json(raw)]


@strawberry.input(description="A test a deal must pass for the rule to act.")
class AutomationConditionInput:
    field: str
    operator: str
    value: JSON | None = None


@strawberry.input(description="One step of a rule with a list of actions.")
class AutomationActionInput:
    type: str
    parameters: JSON | None = strawberry.field(
        default=None, description="The action's other keys as one object (not `type`)."
    )


@strawberry.input(
    description="Either `action` with `parameters`, or `conditions` and `actions` (or both)."
)
class AutomationRuleInput:
    trigger: str
    id: strawberry.ID | None = strawberry.field(
        default=None,
        description="The id of one of the stage's rules to keep it (its runs stay its own); "
        "otherwise the rule gets a new id.",
    )
    match: str = strawberry.field(default="all", description="all or any of the conditions.")
    action: str | None = None
    parameters: JSON | None = None
    conditions: list[AutomationConditionInput] | None = None
    actions: list[AutomationActionInput] | None = None

    def to_domain(self, *, field: str) -> automation_rules.AutomationRule:
        return automation_rules.AutomationRule(
            id=parse_optional_id(self.id, field=f"{field}.id"),
            trigger=self.trigger,
            match=self.match,
            action=self.action,
            parameters=json_object(self.parameters, field=f"{field}.parameters"),
            conditions=tuple(
                automation_rules.RuleCondition(field=c.field, operator=c.operator, value=c.value)
                for c in self.conditions or ()
            ),
            actions=tuple(
                automation_rules.RuleAction(
                    type=a.type,
                    parameters=json_object(a.parameters, field=f"{field}.actions.{j}.parameters")
                    or {},
                )
                for j, a in enumerate(self.actions or ())
            ),
        )


def rules_in(
    rules: list[AutomationRuleInput], *, field: str = "automationRules"
) -> tuple[automation_rules.AutomationRule, ...]:
    return tuple(rule.to_domain(field=f"{field}.{i}") for i, rule in enumerate(rules))
