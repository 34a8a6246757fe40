"""The partial-update rule of crmgraph.domain.changes, and how inputs reach it (no services)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

import pytest
import strawberry

from crmgraph.db import models
from crmgraph.domain import activities, leads, pipelines
from crmgraph.domain.changes import UNSET, Maybe, apply_changes, camel, sent
from crmgraph.errors import DomainError
from crmgraph.gql.inputs import given


@dataclass(frozen=True, kw_only=True)
class Example:
    job_title: Maybe[str] = UNSET
    note: Maybe[str | None] = UNSET
    tags: Maybe[tuple[str, ...] | None] = UNSET


def refused(changes: Any) -> dict[str, object]:
    with pytest.raises(DomainError) as raised:
        sent(changes)
    return raised.value.as_dict()


def test_the_sentinel_is_strawberrys_own() -> None:
    assert UNSET is strawberry.UNSET


def test_absent_fields_are_left_out() -> None:
    assert sent(Example()) == {}
    assert sent(Example(note="x")) == {"note": "x"}


def test_null_clears_a_nullable_field_and_a_list() -> None:
    assert sent(Example(note=None, tags=None)) == {"note": None, "tags": None}


def test_null_on_a_non_nullable_field_names_the_input_field() -> None:
    assert refused(Example(job_title=None, note="x")) == {
        "code": "VALIDATION_ERROR",
        "message": "jobTitle cannot be null",
        "field": "jobTitle",
    }


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        (activities.TaskChanges(title=None), "title"),
        (activities.TaskChanges(status=None), "status"),
        (activities.EventChanges(start_time=None), "startTime"),
        (leads.Qualification(score=None), "score"),
        (pipelines.StageChanges(order=None), "order"),
    ],
)
def test_change_sets_that_took_null_as_keep_now_refuse_it(changes: Any, field: str) -> None:
    assert refused(changes)["field"] == field


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        (
            activities.TaskChanges(description=None, assigned_to=None),
            ["description", "assigned_to"],
        ),
        (activities.EventChanges(location=None, attendees=None), ["location", "attendees"]),
        (leads.Qualification(qualification_notes=None), ["qualification_notes"]),
        (pipelines.StageChanges(automation_rules=None), ["automation_rules"]),
    ],
)
def test_change_sets_that_took_null_as_keep_now_clear(changes: Any, expected: list[str]) -> None:
    assert sent(changes) == dict.fromkeys(expected)


def test_apply_changes_sets_null_as_is_and_runs_rules_on_values() -> None:
    row = models.Contact(first_name="Ann", email="a@b.co")

    apply_changes(row, {"first_name": " Bo ", "email": None}, {"first_name": str.strip})

    assert (row.first_name, row.email) == ("Bo", None)
    with pytest.raises(KeyError):
        apply_changes(row, {"no_such_column": 1}, {})


@pytest.mark.parametrize(
    ("name", "expected"), [("title", "title"), ("job_title", "jobTitle"), ("a_b_c", "aBC")]
)
def test_camel(name: str, expected: str) -> None:
    assert camel(name) == expected


@strawberry.input
class ExampleInput:
    job_title: str | None = strawberry.UNSET
    note: str | None = strawberry.UNSET
    tags: list[str] | None = strawberry.UNSET


def test_given_passes_absent_and_null_on_and_converts_only_values() -> None:
    def into(**values: Any) -> Example:
        return Example(**values)

    convert = {"tags": tuple, "note": str.upper}

    assert given(ExampleInput(), into, **convert) == Example()
    assert given(ExampleInput(note=None, tags=None), into, **convert) == Example(
        note=None, tags=None
    )
    assert given(ExampleInput(note="n", tags=["a"]), into, **convert) == Example(
        note="N", tags=("a",)
    )


def test_given_refuses_an_input_field_the_change_set_lacks() -> None:
    @strawberry.input
    class Wider:
        job_title: str | None = strawberry.UNSET
        extra: UUID | None = strawberry.UNSET

    with pytest.raises(TypeError):
        given(Wider(), Example)
