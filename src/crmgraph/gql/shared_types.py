"""Value types several subgraphs declare identically (so they are @shareable)."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.federation.schema_directives import Key
from strawberry.federation.types import FieldSet
from strawberry.scalars import JSON

from crmgraph.errors import DomainError, ErrorCode


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


def json_out(value: dict[str, Any] | None) -> JSON | None:
    return None if value is None else JSON(value)


def json_object(value: JSON | None, *, field: str) -> dict[str, Any] | None:
    """customFields and the like must be JSON objects (not lists or scalars)."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise DomainError(ErrorCode.VALIDATION_ERROR, f"{field} must be a JSON object", field=field)
    return {str(k): v for k, v in value.items()}


# For entities owned by another subgraph that this one only points at.
REFERENCE_ONLY = [Key(fields=FieldSet("id"), resolvable=False)]


@strawberry.federation.type(shareable=True, description="The result of a delete.")
class DeletePayload:
    id: strawberry.ID = strawberry.field(description="The id of the deleted object.")
    deleted: bool = True
