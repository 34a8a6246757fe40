"""Field rules shared by the domains; each failure names the input field."""

from __future__ import annotations

import re
from collections.abc import Sized
from decimal import Decimal

from crmgraph.errors import DomainError, ErrorCode

# Pragmatic address check (one @, a dot in the domain, no spaces), not full RFC 5322.
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def invalid(field: str, message: str) -> DomainError:
    return DomainError(ErrorCode.VALIDATION_ERROR, message, field=field)


def required_text(value: str, *, field: str, max_length: int = 300) -> str:
    value = value.strip()
    if not value:
        raise invalid(field, f"{field} must not be empty")
    if len(value) > max_length:
        raise invalid(field, f"{field} is longer than {max_length} characters")
    return value


def at_most(items: Sized, limit: int, *, field: str) -> None:
    """A list the client writes holds at most `limit` items (see crmgraph.domain.bounds)."""
    if len(items) > limit:
        raise invalid(field, f"{field} must have at most {limit} items, got {len(items)}")


def optional_email(value: str | None, *, field: str = "email") -> str | None:
    if value is None:
        return None
    value = value.strip()
    if not EMAIL.match(value) or len(value) > 320:
        raise invalid(field, "Invalid email format")
    return value.lower()


def email(value: str, *, field: str = "email") -> str:
    checked = optional_email(value, field=field)
    assert checked is not None
    return checked


def non_negative_money(value: float | Decimal, *, field: str) -> Decimal:
    amount = Decimal(str(value))
    if not amount.is_finite() or amount < 0:
        raise invalid(field, f"{field} must not be negative")
    return amount.quantize(Decimal("0.01"))


def percentage(value: int, *, field: str) -> int:
    if not 0 <= value <= 100:
        raise invalid(field, f"{field} must be between 0 and 100")
    return value


def currency(value: str, *, field: str = "currency") -> str:
    code = value.strip().upper()
    if not re.fullmatch(r"[A-Z]{3}", code):
        raise invalid(field, "currency must be a three-letter ISO 4217 code")
    return code
