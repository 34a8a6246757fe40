"""The actions of automation rules: their parameters, checked when a rule is written, and
running them through the domain functions (so each change records its events as any other).

- create_task: {title, description?, priority?, dueInDays?, dueInHours?, dueInMinutes?,
  assignTo?}: a task about the deal, due that long after the triggering event (no offset: no
  due date), assigned to assignTo or else the deal's owner (when the directory knows them).
- assign_user: {userId}: the deal's owner becomes that user of the tenant's directory.
- update_field: {field, value}: one deal field by the partial-update rule of updateDeal
  (title, value, currency, probability, description, expectedCloseDate; null clears an
  optional one) or one key of its customFields (`customFields.tier`; null removes it).
- emit_webhook: {event, data?}: a `deal.automation` event naming `event`, which webhook
  subscriptions to deal.automation receive like any other event.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from crmgraph.db import models
from crmgraph.db.scoping import Scope, get_scoped, scoped
from crmgraph.domain import activities, deals, validation
from crmgraph.domain.automation_conditions import CUSTOM
from crmgraph.domain.changes import sent
from crmgraph.errors import DomainError
from crmgraph.events import outbox, payloads

OFFSETS: Mapping[str, timedelta] = {
    "dueInDays": timedelta(days=1),
    "dueInHours": timedelta(hours=1),
    "dueInMinutes": timedelta(minutes=1),
}
MAX_OFFSET = timedelta(days=3650)
EVENT_NAME = re.compile(r"[a-z0-9][a-z0-9_.-]{0,63}")
MAX_DATA_KEYS = 20
# update_field's fields: the API's name -> DealChanges' (customFields.<key> besides).
UPDATABLE: Mapping[str, str] = {
    "title": "title",
    "value": "value",
    "currency": "currency",
    "probability": "probability",
    "description": "description",
    "expectedCloseDate": "expected_close_date",
}
CLEARABLE = frozenset({"description", "expectedCloseDate"})

# Action type -> its parameters: (required ones, optional ones).
PARAMETERS: Mapping[str, tuple[frozenset[str], frozenset[str]]] = {
    "create_task": (
        frozenset({"title"}),
        frozenset({"description", "priority", "assignTo", *OFFSETS}),
    ),
    "assign_user": (frozenset({"userId"}), frozenset()),
    "update_field": (frozenset({"field", "value"}), frozenset()),
    "emit_webhook": (frozenset({"event"}), frozenset({"data"})),
}


def check_action(kind: str, parameters: Mapping[str, Any], *, field: str,
                 where: str) -> list[tuple[UUID, str]]:  # fmt: skip
    """VALIDATION_ERROR naming the offending parameter (`{where}.title`) unless the action
    can run as written; returns the user ids it names with their fields, whose existence
    the caller checks."""
    spec = PARAMETERS.get(kind)
    if spec is None:
        known = ", ".join(PARAMETERS)
        raise validation.invalid(field, f"unknown action {kind!r}; known: {known}")
    required, optional = spec
    for name in parameters:
        if name not in required | optional:
            takes = ", ".join(sorted(required | optional))
            raise validation.invalid(f"{where}.{name}", f"{kind} takes {takes}; not {name}")
    for name in sorted(required - set(parameters)):
        raise validation.invalid(f"{where}.{name}", f"{kind} needs {name}")
    return CHECKS[kind](parameters, where)


def _text(value: Any, *, field: str, max_length: int = 300) -> str:
    if not isinstance(value, str):
        raise validation.invalid(field, f"{field} must be text")
    return validation.required_text(value, field=field, max_length=max_length)


def _user(value: Any, *, field: str) -> UUID:
    try:
        return UUID(value) if isinstance(value, str) else UUID(int=-1)
    except ValueError:
        raise validation.invalid(field, f"{field} must be a user's id (a UUID)") from None


def due_offset(parameters: Mapping[str, Any], where: str = "parameters") -> timedelta | None:
    """The sum of a create_task's due offsets; None without any."""
    given = [name for name in OFFSETS if name in parameters]
    if not given:
        return None
    total = timedelta()
    for name in given:
        amount = parameters[name]
        if isinstance(amount, bool) or not isinstance(amount, int | float) or amount < 0:
            raise validation.invalid(f"{where}.{name}", f"{name} must be a number, not negative")
        total += OFFSETS[name] * amount
    if total > MAX_OFFSET:
        raise validation.invalid(f"{where}.{given[0]}", "a task is due within 3650 days")
    return total


def _check_task(parameters: Mapping[str, Any], where: str) -> list[tuple[UUID, str]]:
    _text(parameters["title"], field=f"{where}.title", max_length=200)
    if parameters.get("description") is not None:
        _text(parameters["description"], field=f"{where}.description", max_length=5000)
    priority = parameters.get("priority", "MEDIUM")
    if priority not in activities.PRIORITIES:
        raise validation.invalid(
            f"{where}.priority", f"priority must be one of {', '.join(activities.PRIORITIES)}"
        )
    due_offset(parameters, where)
    if "assignTo" in parameters:
        return [(_user(parameters["assignTo"], field=f"{where}.assignTo"), f"{where}.assignTo")]
    return []


def _check_assign(parameters: Mapping[str, Any], where: str) -> list[tuple[UUID, str]]:
    return [(_user(parameters["userId"], field=f"{where}.userId"), f"{where}.userId")]


def _check_update(parameters: Mapping[str, Any], where: str) -> list[tuple[UUID, str]]:
    name, value = parameters["field"], parameters["value"]
    changes = deal_changes(name, value, {}, field=f"{where}.value", name_field=f"{where}.field")
    for key, given in sent(changes).items():
        rule = deals.RULES.get(key)
        if rule is not None and given is not None:
            try:
                rule(given)
            except DomainError as exc:
                raise validation.invalid(f"{where}.value", exc.message) from None
    return []


def _check_emit(parameters: Mapping[str, Any], where: str) -> list[tuple[UUID, str]]:
    name = parameters["event"]
    if not isinstance(name, str) or not EVENT_NAME.fullmatch(name):
        raise validation.invalid(
            f"{where}.event", "event must be 1 to 64 of a-z, 0-9, _ . - (starting a-z or 0-9)"
        )
    data = parameters.get("data")
    if data is not None and (not isinstance(data, dict) or len(data) > MAX_DATA_KEYS):
        raise validation.invalid(
            f"{where}.data", f"data must be a JSON object of at most {MAX_DATA_KEYS} keys"
        )
    return []


CHECKS: Mapping[str, Callable[[Mapping[str, Any], str], list[tuple[UUID, str]]]] = {
    "create_task": _check_task,
    "assign_user": _check_assign,
    "update_field": _check_update,
    "emit_webhook": _check_emit,
}


def deal_changes(name: Any, value: Any, custom: Mapping[str, Any] | None, *, field: str,
                 name_field: str) -> deals.DealChanges:  # fmt: skip
    """update_field's change set; custom: the deal's customFields now (for one key)."""
    if isinstance(name, str) and name.startswith(CUSTOM) and len(name) > len(CUSTOM):
        if isinstance(value, dict | list):
            raise validation.invalid(field, "a custom field is set to a number, text or bool")
        fields = dict(custom or {})
        key = name[len(CUSTOM) :]
        if value is None:
            fields.pop(key, None)
        else:
            fields[key] = value
        return deals.DealChanges(custom_fields=fields or None)
    if name not in UPDATABLE:
        known = ", ".join([*UPDATABLE, CUSTOM + "<key>"])
        raise validation.invalid(name_field, f"update_field cannot set {name!r}; it sets {known}")
    if value is None and name not in CLEARABLE:
        raise validation.invalid(field, f"{name} cannot be null")
    if name == "expectedCloseDate" and value is not None:
        if not isinstance(value, str):
            raise validation.invalid(field, "expectedCloseDate must be an ISO 8601 date")
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            raise validation.invalid(field, "expectedCloseDate must be an ISO 8601 date") from None
    expected, noun = {
        "value": ((int, float), "a number"),
        "probability": ((int,), "a whole number"),
    }.get(name, ((str,), "text"))
    if value is not None and name != "expectedCloseDate" and (
        isinstance(value, bool) or not isinstance(value, expected)
    ):  # fmt: skip
        raise validation.invalid(field, f"{name} must be {noun}")
    return deals.DealChanges(**{UPDATABLE[name]: value})


@dataclass(frozen=True, kw_only=True)
class Run:
    """What actions run with: the tenant's system scope, the deal, the rule and the
    triggering event (its id and time: due dates count from it)."""

    session: AsyncSession
    scope: Scope
    deal_id: UUID
    rule_id: UUID
    event_id: UUID
    at: datetime


async def run_action(run: Run, kind: str, parameters: Mapping[str, Any]) -> dict[str, Any]:
    """Run one checked action; what it did, as a run records it ({"type", ...ids})."""
    if kind == "create_task":
        deal = await _deal(run)
        offset = due_offset(parameters)
        assignee = parameters.get("assignTo")
        if assignee is None and deal.owner_id is not None:
            # The owner is a token's subject, which the directory may not know; then the
            # task is left unassigned rather than the rule failing.
            known = scoped(select(models.User.id).where(models.User.id == deal.owner_id),
                           models.User, run.scope)  # fmt: skip
            assignee = await run.session.scalar(known)
        data = activities.NewTask(
            title=str(parameters["title"]),
            description=parameters.get("description"),
            priority=str(parameters.get("priority", "MEDIUM")),
            due_date=None if offset is None else run.at + offset,
            assigned_to_id=None if assignee is None else UUID(str(assignee)),
            related_to=activities.RelatedRef(type="DEAL", id=run.deal_id),
        )
        task = await activities.create_task(run.session, scope=run.scope, data=data)
        return {"type": kind, "taskId": str(task.id), "dueDate": _iso(task.due_date),
                "assignedTo": _str(task.assigned_to_id)}  # fmt: skip
    if kind == "assign_user":
        user = UUID(str(parameters["userId"]))
        await deals.update_deal(run.session, scope=run.scope, deal_id=run.deal_id,
                                changes=deals.DealChanges(owner_id=user))  # fmt: skip
        return {"type": kind, "userId": str(user)}
    if kind == "update_field":
        deal = await _deal(run)
        changes = deal_changes(parameters["field"], parameters["value"], deal.custom_fields,
                               field="value", name_field="field")  # fmt: skip
        await deals.update_deal(run.session, scope=run.scope, deal_id=run.deal_id,
                                changes=changes)  # fmt: skip
        return {"type": kind, "field": parameters["field"], "value": parameters["value"]}
    if kind == "emit_webhook":
        deal = await _deal(run)
        written = await outbox.record(
            run.session, scope=run.scope, event=payloads.DealAutomation, row=deal,
            extra={"name": parameters["event"], "data": parameters.get("data") or {},
                   "rule_id": run.rule_id, "trigger_event_id": run.event_id},
        )  # fmt: skip
        await run.session.flush()  # the event's id is given at its insert
        return {"type": kind, "event": parameters["event"], "eventId": str(written.event_id)}
    raise validation.invalid("type", f"unknown action {kind!r}")


async def _deal(run: Run) -> models.Deal:
    return await get_scoped(run.session, models.Deal, run.deal_id, scope=run.scope)


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _str(value: UUID | None) -> str | None:
    return None if value is None else str(value)
