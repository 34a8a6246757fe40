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


@pytest.mark.parametrize(("value", "ok"), [(-1, False), (0, True), (100, True), (101, False)])
def test_percentage_bounds(value: int, ok: bool) -> None:
    if ok:
        assert validation.percentage(value, field="probability") == value
    else:
        with pytest.raises(DomainError):
            validation.percentage(value, field="probability")
