"""Lists the client writes are refused beyond their bound (crmgraph.domain.bounds) with a
VALIDATION_ERROR naming the list, and pass the count check at the bound; an activity's times,
kinds and references are checked before anything is written. Run on SQLite
(tests/unit/conftest.py); tests/e2e/test_list_bounds.py and test_activities.py keep a case of
each to show the error reaching the client."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from crmgraph.db import models
from crmgraph.db.scoping import Scope
from crmgraph.domain import activities, automation_rules, bounds, pipelines
from crmgraph.errors import DomainError

SCOPE = Scope(tenant_id="t_unit")
T0 = datetime(2030, 1, 1, 10, tzinfo=UTC)
Write = Callable[[AsyncSession, int], Awaitable[object]]


def ids(n: int) -> tuple[uuid.UUID, ...]:
    return tuple(uuid.uuid4() for _ in range(n))


async def communication(session: AsyncSession, n: int) -> object:
    data = activities.NewCommunication(
        type="EMAIL", direction="OUTBOUND", content="hi", participant_ids=ids(n)
    )
    return await activities.log_communication(session, scope=SCOPE, data=data)


async def event(session: AsyncSession, n: int) -> object:
    data = activities.NewEvent(title="E", start_time=T0, end_time=T0, attendee_ids=ids(n))
    return await activities.create_event(session, scope=SCOPE, data=data)


def pipeline(
    *, stages: int = 1, rules: int = 0, conditions: int = 0, actions: int = 1
) -> pipelines.NewPipeline:
    rule = automation_rules.AutomationRule(
        trigger="stage_entered",
        conditions=tuple(
            automation_rules.RuleCondition(field="value", operator="equals", value=i)
            for i in range(conditions)
        ),
        actions=tuple(
            automation_rules.RuleAction(type="create_task", parameters={"title": f"T{i}"})
            for i in range(actions)
        ),
    )
    return pipelines.NewPipeline(
        name="P",
        stages=tuple(
            pipelines.NewStage(name=f"S{i}", order=i, probability=10,
                               automation_rules=(rule,) * rules)
            for i in range(stages)
        ),
    )  # fmt: skip


def creating(**sizes: str) -> Callable[[int], pipelines.NewPipeline]:
    """A pipeline whose list `sizes` names holds n items (the others are valid)."""
    ((name, _),) = sizes.items()
    rules = 1 if name in ("conditions", "actions") else 0
    return lambda n: pipeline(**{"rules": rules, name: n})


def create_pipeline(make: Callable[[int], pipelines.NewPipeline]) -> Write:
    async def write(session: AsyncSession, n: int) -> object:
        return await pipelines.create_pipeline(session, scope=SCOPE, data=make(n))

    return write


# (write n items, the bound, the refused field, the code at the bound: unknown ids are
# NOT_FOUND there, which shows the count itself passed; whether the check comes before the
# first row is added: a stage's rules are checked with the stage, after its pipeline row, and
# the request's transaction takes that row back, as tests/e2e/test_list_bounds.py shows).
WRITTEN = [
    pytest.param(communication, bounds.PARTICIPANTS, "participants", "NOT_FOUND", True,
                 id="participants"),
    pytest.param(event, bounds.ATTENDEES, "attendees", "NOT_FOUND", True, id="attendees"),
    pytest.param(create_pipeline(creating(stages="")), bounds.PIPELINE_STAGES, "stages", None,
                 True, id="stages"),
    pytest.param(create_pipeline(creating(rules="")), bounds.AUTOMATION_RULES,
                 "stages.0.automationRules", None, False, id="automationRules"),
    pytest.param(create_pipeline(creating(conditions="")), bounds.RULE_CONDITIONS,
                 "stages.0.automationRules.0.conditions", None, False, id="conditions"),
    pytest.param(create_pipeline(creating(actions="")), bounds.RULE_ACTIONS,
                 "stages.0.automationRules.0.actions", None, False, id="actions"),
]  # fmt: skip


async def written(session: AsyncSession) -> dict[str, int]:
    found = {}
    for model in (models.Communication, models.Event, models.Pipeline, models.OutboxEvent):
        found[model.__name__] = await session.scalar(select(func.count()).select_from(model))
    return found


@pytest.mark.parametrize(("write", "bound", "field", "at_code", "checked_first"), WRITTEN)
async def test_list_over_its_bound_is_refused(
    session: AsyncSession,
    write: Write,
    bound: int,
    field: str,
    at_code: str | None,
    checked_first: bool,
) -> None:
    before = await written(session)

    with pytest.raises(DomainError) as refused:
        await write(session, bound + 1)
    unchanged = await written(session)
    try:
        await write(session, bound)
        code = None
    except DomainError as exc:
        code = exc.code.value

    assert refused.value.as_dict() == {
        "code": "VALIDATION_ERROR",
        "message": f"{field} must have at most {bound} items, got {bound + 1}",
        "field": field,
    }
    if checked_first:
        assert unchanged == before
    assert code == at_code


@pytest.mark.parametrize(
    ("data", "field"),
    [
        (activities.NewEvent(title="E", start_time=T0, end_time=T0 - timedelta(hours=1)),
         "endTime"),
        (activities.NewEvent(title=" ", start_time=T0, end_time=T0), "title"),
    ],
)  # fmt: skip
async def test_invalid_event_is_refused_and_writes_nothing(
    session: AsyncSession, data: activities.NewEvent, field: str
) -> None:
    with pytest.raises(DomainError) as raised:
        await activities.create_event(session, scope=SCOPE, data=data)

    assert (raised.value.code.value, raised.value.field) == ("VALIDATION_ERROR", field)
    assert (await written(session))["Event"] == 0


@pytest.mark.parametrize(
    ("given", "code", "field"),
    [
        ({"type": "FAX"}, "VALIDATION_ERROR", "type"),
        ({"direction": "SIDEWAYS"}, "VALIDATION_ERROR", "direction"),
        ({"content": "  "}, "VALIDATION_ERROR", "content"),
        ({"subject": "x" * 501}, "VALIDATION_ERROR", "subject"),
        ({"related_to": activities.RelatedRef(type="PLANET", id=uuid.uuid4())},
         "VALIDATION_ERROR", "relatedTo.type"),
        ({"related_to": activities.RelatedRef(type="DEAL", id=uuid.uuid4())},
         "NOT_FOUND", "relatedTo"),
    ],
)  # fmt: skip
async def test_invalid_communication_is_refused_and_writes_nothing(
    session: AsyncSession, given: dict[str, object], code: str, field: str
) -> None:
    data = activities.NewCommunication(
        **{"type": "CALL", "direction": "INBOUND", "content": "Hi", **given}
    )

    with pytest.raises(DomainError) as raised:
        await activities.log_communication(session, scope=SCOPE, data=data)

    assert (raised.value.code.value, raised.value.field) == (code, field)
    assert (await written(session))["Communication"] == 0


@pytest.mark.parametrize(
    ("given", "code", "field"),
    [
        ({"priority": "SOMEDAY"}, "VALIDATION_ERROR", "priority"),
        ({"status": "DONE"}, "VALIDATION_ERROR", "status"),
        ({"title": " "}, "VALIDATION_ERROR", "title"),
        ({"assigned_to_id": uuid.uuid4()}, "NOT_FOUND", "assignedTo"),
        ({"related_to": activities.RelatedRef(type="LEAD", id=uuid.uuid4())},
         "NOT_FOUND", "relatedTo"),
    ],
)  # fmt: skip
async def test_invalid_task_is_refused_and_writes_nothing(
    session: AsyncSession, given: dict[str, object], code: str, field: str
) -> None:
    data = activities.NewTask(**{"title": "T", **given})  # type: ignore[arg-type]

    with pytest.raises(DomainError) as raised:
        await activities.create_task(session, scope=SCOPE, data=data)

    assert (raised.value.code.value, raised.value.field) == (code, field)
    assert await session.scalar(select(func.count()).select_from(models.Task)) == 0


async def test_pipelines_beyond_their_bound_are_a_conflict(session: AsyncSession) -> None:
    for _ in range(bounds.PIPELINES):
        await pipelines.create_pipeline(session, scope=SCOPE, data=pipeline())

    with pytest.raises(DomainError) as raised:
        await pipelines.create_pipeline(session, scope=SCOPE, data=pipeline())

    assert raised.value.as_dict() == {
        "code": "CONFLICT",
        "message": f"a tenant has at most {bounds.PIPELINES} pipelines",
    }
    assert (await written(session))["Pipeline"] == bounds.PIPELINES


async def test_stages_beyond_their_bound_are_a_conflict(session: AsyncSession) -> None:
    almost, _ = await pipelines.create_pipeline(
        session, scope=SCOPE, data=pipeline(stages=bounds.PIPELINE_STAGES - 1)
    )

    async def add(order: int) -> object:
        return await pipelines.add_pipeline_stage(
            session, scope=SCOPE, pipeline_id=almost.id,
            data=pipelines.NewStage(name="X", order=order, probability=5),
        )  # fmt: skip

    await add(100)
    await session.flush()
    with pytest.raises(DomainError) as raised:
        await add(101)

    assert raised.value.as_dict() == {
        "code": "CONFLICT",
        "message": f"a pipeline has at most {bounds.PIPELINE_STAGES} stages",
    }
