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


# Money columns are NUMERIC(18, 2) (crmgraph.db.models.base.Money): under 10^16 once rounded
# to the cent. Checked before rounding too: Decimal cannot round an amount of more than 26
# digits to cents (InvalidOperation: a 1e274 budget was an INTERNAL_SERVER_ERROR).
MONEY_LIMIT = Decimal(10) ** 16
CENT = Decimal("0.01")


def non_negative_money(value: float | Decimal, *, field: str) -> Decimal:
    amount = Decimal(str(value))
    if not amount.is_finite() or amount < 0:
        raise invalid(field, f"{field} must not be negative")
    if amount >= MONEY_LIMIT or (rounded := amount.quantize(CENT)) >= MONEY_LIMIT:
        raise invalid(field, f"{field} must be less than {MONEY_LIMIT:f}")
    return rounded


def percentage(value: int, *, field: str) -> int:
    if not 0 <= value <= 100:
        raise invalid(field, f"{field} must be between 0 and 100")
    return value


def currency(value: str, *, field: str = "currency") -> str:
    code = value.strip().upper()
    if not re.fullmatch(r"[A-Z]{3}", code):
        raise invalid(field, "currency must be a three-letter ISO 4217 code")
    return code
