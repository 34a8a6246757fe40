"""Pure rules of crmgraph.domain.leads: partial updates, statuses, scoring factors."""

from __future__ import annotations

import pytest

from crmgraph.db import models
from crmgraph.domain import lead_scoring, leads
from crmgraph.errors import DomainError


def error_of(status: str, changes: leads.LeadChanges) -> dict[str, str]:
    with pytest.raises(DomainError) as raised:
        leads.checked_changes(status, changes)
    return raised.value.as_dict()


def test_unset_fields_are_left_out_and_null_clears_optional_ones() -> None:
    changes = leads.LeadChanges(email=" Jane@Example.COM ", phone=None, score=55)

    assert leads.checked_changes("NEW", changes) == {
        "email": "jane@example.com",
        "phone": None,
        "score": 55,
    }


def test_nothing_given_changes_nothing() -> None:
    assert leads.checked_changes("NEW", leads.LeadChanges()) == {}


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        (leads.LeadChanges(email="not-mail"), "email"),
        (leads.LeadChanges(email=None), "email"),
        (leads.LeadChanges(first_name="  "), "firstName"),
        (leads.LeadChanges(last_name=None), "lastName"),
        (leads.LeadChanges(source="x" * 101), "source"),
        (leads.LeadChanges(score=101), "score"),
        (leads.LeadChanges(score=-1), "score"),
        (leads.LeadChanges(status="WON"), "status"),
        (leads.LeadChanges(status="CONVERTED"), "status"),
    ],
)
def test_invalid_changes_name_their_field(changes: leads.LeadChanges, field: str) -> None:
    assert error_of("NEW", changes)["field"] == field
    assert error_of("NEW", changes)["code"] == "VALIDATION_ERROR"


def test_a_converted_lead_keeps_its_status() -> None:
    assert error_of("CONVERTED", leads.LeadChanges(status="NEW")) == {
        "code": "CONFLICT",
        "message": "a converted lead keeps its status",
        "field": "status",
    }


def test_a_converted_lead_may_still_change_other_fields() -> None:
    changes = leads.LeadChanges(company="Renamed Inc")

    assert leads.checked_changes("CONVERTED", changes) == {"company": "Renamed Inc"}


def test_scoring_factors_round_trip_through_the_json_column() -> None:
    factors = (
        lead_scoring.ScoringFactor(factor=" Demo requested ", points=35, reason="asked"),
        lead_scoring.ScoringFactor(factor="Email opened"),
    )
    row = models.LeadScoreHistory(factors=lead_scoring.factors_json(factors))

    assert lead_scoring.factors_of(row) == [
        lead_scoring.ScoringFactor(factor="Demo requested", points=35, reason="asked"),
        lead_scoring.ScoringFactor(factor="Email opened"),
    ]


def test_history_row_without_factors_has_none() -> None:
    assert lead_scoring.factors_of(models.LeadScoreHistory(factors=None)) == []


@pytest.mark.parametrize(
    ("status", "score", "qualified"),
    [("NEW", 69, False), ("NEW", 70, True), ("QUALIFIED", 0, True), ("CONVERTED", 0, True),
     ("UNQUALIFIED", 10, False)],
)  # fmt: skip
def test_is_qualified_by_status_or_score(status: str, score: int, qualified: bool) -> None:
    assert leads.is_qualified(models.Lead(status=status, score=score)) is qualified
