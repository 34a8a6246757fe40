"""Reading a Zoho record's fields into our values: which fields were used, which values our
rules refused (dropped, with the reason) and which fields we have no column for (kept)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from crmgraph.domain.changes import UNSET, Rule
from crmgraph.errors import DomainError
from crmgraph.zoho.records import Dropped

# Our keys of an address (crmgraph.gql.shared_types.AddressInput.to_json).
ADDRESS_PARTS = (("Street", "street"), ("City", "city"), ("State", "state"),
                 ("Zip", "zipCode"), ("Code", "zipCode"), ("Country", "country"))  # fmt: skip


class Reader:
    """One record's fields. `value` reads one through a rule and answers UNSET when the
    field is absent (keep) or refused (dropped); a present null clears."""

    def __init__(self, fields: dict[str, Any]) -> None:
        self.fields = fields
        self.used: set[str] = set()
        self.dropped: list[Dropped] = []

    def raw(self, name: str) -> Any:
        self.used.add(name)
        return self.fields.get(name)

    def value(self, name: str, convert: Callable[[Any], Any] = lambda v: v,
              rule: Rule | None = None, *, nullable: bool = True) -> Any:  # fmt: skip
        if name not in self.fields:
            return UNSET
        raw = self.raw(name)
        if raw is None or raw == "":
            if nullable:
                return None
            return self.drop(name, f"{name} must not be empty")
        try:
            converted = convert(raw)
            return converted if rule is None else rule(converted)
        except DomainError as exc:
            return self.drop(name, exc.message)
        except (TypeError, ValueError, InvalidOperation) as exc:
            return self.drop(name, f"{name}: {exc}")

    def drop(self, name: str, reason: str) -> Any:
        self.used.discard(name)
        self.dropped.append(Dropped(field=name, reason=reason))
        return UNSET

    def lookup(self, name: str) -> Any:
        """The Zoho id of a lookup field ({"name": ..., "id": ...}): UNSET when absent, None
        when empty; anything else is dropped (UNSET)."""
        if name not in self.fields:
            return UNSET
        raw = self.raw(name)
        if raw is None or raw == "" or raw == {}:
            return None
        zoho_id = raw.get("id") if isinstance(raw, dict) else None
        if isinstance(zoho_id, str | int) and not isinstance(zoho_id, bool) and str(zoho_id):
            return str(zoho_id)
        return self.drop(name, f"{name} must be a lookup {{name, id}}")

    def address(self, prefix: str) -> Any:
        """Zoho's address fields (Mailing_Street, Billing_City, ...) as our address object;
        UNSET when the record has none of them."""
        names = [(f"{prefix}_{zoho}", ours) for zoho, ours in ADDRESS_PARTS]
        present = [(name, ours) for name, ours in names if name in self.fields]
        if not present:
            return UNSET
        out = {ours: str(self.raw(name)) for name, ours in present
               if self.fields[name] not in (None, "")}  # fmt: skip
        return out or None

    def kept(self) -> dict[str, Any]:
        """The fields no column took, refused values included, as Zoho sent them."""
        return {name: value for name, value in self.fields.items() if name not in self.used}


def text(value: Any) -> str:
    if isinstance(value, dict | list):
        raise TypeError("expected text")
    return str(value).strip()


# What the columns hold: money is NUMERIC(18, 2), counts are 32-bit INTEGER.
MAX_MONEY = Decimal(10) ** 16
MAX_INTEGER = 2**31 - 1


def money(value: Any) -> Decimal:
    if isinstance(value, bool | dict | list):
        raise TypeError("expected a number")
    amount = Decimal(str(value))
    if amount.is_finite() and abs(amount) >= MAX_MONEY:
        raise ValueError(f"{value} is too large")
    return amount


def integer(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise TypeError("expected a whole number")
    number = Decimal(str(value))
    if not number.is_finite() or number != number.to_integral_value():
        raise ValueError("expected a whole number")
    if abs(number) > MAX_INTEGER:
        raise ValueError(f"{value} is too large")
    return int(number)


def day(value: Any) -> datetime:
    """A Zoho date ("2020-07-24") or date-time ("2020-07-01T15:11:53+05:30"), in UTC; a date
    is midnight UTC."""
    raw = text(value)
    if len(raw) == 10:
        return datetime.combine(date.fromisoformat(raw), datetime.min.time(), tzinfo=UTC)
    parsed = datetime.fromisoformat(raw)
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC)


def utc(moment: datetime) -> datetime:
    """A time in UTC; a naive one is taken to be UTC already."""
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


def with_zoho(custom: dict[str, Any] | None, kept: dict[str, Any]) -> dict[str, Any]:
    """custom_fields with Zoho's unmapped fields under "zoho", the other keys untouched."""
    return {**(custom or {}), "zoho": kept}
