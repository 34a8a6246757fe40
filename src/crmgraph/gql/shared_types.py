"""Value types several subgraphs declare identically (so they are @shareable)."""

from __future__ import annotations

from typing import Any

import strawberry


@strawberry.federation.type(shareable=True, description="A postal address.")
class Address:
    street: str | None = None
    city: str | None = None
    state: str | None = None
    zip_code: str | None = None
    country: str | None = None

    @classmethod
    def from_json(cls, value: dict[str, Any] | None) -> Address | None:
        if not value:
            return None
        return cls(
            street=value.get("street"),
            city=value.get("city"),
            state=value.get("state"),
            zip_code=value.get("zipCode"),
            country=value.get("country"),
        )


@strawberry.input(description="A postal address.")
class AddressInput:
    street: str | None = None
    city: str | None = None
    state: str | None = None
    zip_code: str | None = None
    country: str | None = None

    def to_json(self) -> dict[str, Any]:
        raw = {
            "street": self.street,
            "city": self.city,
            "state": self.state,
            "zipCode": self.zip_code,
            "country": self.country,
        }
        return {k: v for k, v in raw.items() if v is not None}


def address_json(value: AddressInput | None) -> dict[str, Any] | None:
    return None if value is None else value.to_json()
