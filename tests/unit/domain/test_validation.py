"""Field rules of crmgraph.domain.validation."""

from __future__ import annotations

from decimal import Decimal

import pytest

from crmgraph.domain import validation
from crmgraph.errors import DomainError


@pytest.mark.parametrize("value", ["a@b.co", "John.Doe@Example.com", "x+tag@sub.domain.org"])
def test_valid_emails_are_lowercased(value: str) -> None:
    assert validation.email(value) == value.lower()


@pytest.mark.parametrize("value", ["", "plain", "a@b", "a b@c.d", "@c.d", "a@@b.c"])
def test_invalid_email_names_field(value: str) -> None:
    with pytest.raises(DomainError) as raised:
        validation.email(value)

    assert raised.value.as_dict() == {
        "code": "VALIDATION_ERROR",
        "message": "Invalid email format",
        "field": "email",
    }


def test_money_rejects_negative_and_rounds_to_cents() -> None:
    assert validation.non_negative_money(10.005, field="value") == Decimal("10.00")
    with pytest.raises(DomainError):
        validation.non_negative_money(-0.01, field="value")


@pytest.mark.parametrize(
    "value", [7.292724717663209e274, 1e16, Decimal("9999999999999999.995"), 2.0**200]
)
def test_money_a_money_column_cannot_hold_is_a_validation_error(value: float | Decimal) -> None:
    """NUMERIC(18, 2); 7.29e274 (a fuzzed campaign budget) raised InvalidOperation."""
    with pytest.raises(DomainError) as refused:
        validation.non_negative_money(value, field="budget")
    assert refused.value.code.value == "VALIDATION_ERROR"
    assert refused.value.field == "budget"
    assert refused.value.message == "budget must be less than 10000000000000000"


def test_money_up_to_the_column_limit_is_kept() -> None:
    largest = Decimal("9999999999999999.99")
    assert validation.non_negative_money(largest, field="value") == largest


@pytest.mark.parametrize(("value", "ok"), [(-1, False), (0, True), (100, True), (101, False)])
def test_percentage_bounds(value: int, ok: bool) -> None:
    if ok:
        assert validation.percentage(value, field="probability") == value
    else:
        with pytest.raises(DomainError):
            validation.percentage(value, field="probability")
