"""The bulk import's row rules without a database (the design's field_mapping direction,
unknown columns under strict and lenient, value types, what a matching row becomes), and
its per-row savepoints on the embedded mode's SQLite."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from crmgraph.db.models import Contact, OutboxEvent
from crmgraph.db.scoping import Scope, scoped
from crmgraph.domain.contact_import import import_contacts
from crmgraph.domain.contact_import_rules import (
    Options,
    map_row,
    mapping_of,
    on_match,
    required_for_create,
)
from crmgraph.errors import DomainError, ErrorCode

# The API design's example (Bulk Operations): our field -> the source's column.
DESIGN_MAPPING = {"email": "email_address", "first_name": "firstName",
                  "last_name": "lastName", "company_name": "company"}  # fmt: skip
DESIGN_ROW = {"email_address": "contact1@company.com", "firstName": "John",
              "lastName": "Doe", "company": "Company A"}  # fmt: skip


def test_the_designs_example_maps_every_column_to_our_field() -> None:
    row = map_row(DESIGN_ROW, mapping_of(DESIGN_MAPPING), strict=True)

    assert row.values == {"email": "contact1@company.com", "first_name": "John",
                          "last_name": "Doe", "company": "Company A"}  # fmt: skip
    assert row.source_of("firstName") == "firstName"
    assert row.source_of("email") == "email_address"


def test_unmapped_fields_are_read_from_columns_of_their_own_name() -> None:
    row = map_row({"first_name": "A", "last_name": "B", "phone": "1"}, mapping_of({}), strict=True)
    assert row.values == {"first_name": "A", "last_name": "B", "phone": "1"}


def test_a_column_feeding_no_field_fails_strict_and_is_ignored_lenient() -> None:
    mapping = mapping_of({"email": "email_address"})
    with pytest.raises(DomainError) as refused:
        map_row({"email_address": "a@b.co", "email": "x@y.co"}, mapping, strict=True)
    assert (refused.value.code, refused.value.field) == (ErrorCode.VALIDATION_ERROR, "email")

    lenient = map_row({"email_address": "a@b.co", "fax": "9"}, mapping, strict=False)
    assert lenient.values == {"email": "a@b.co"}


def test_an_unknown_field_in_the_mapping_refuses_the_request() -> None:
    with pytest.raises(DomainError) as refused:
        mapping_of({"shoe_size": "Shoe"})
    assert refused.value.field == "field_mapping.shoe_size"


@pytest.mark.parametrize(
    ("row", "column"),
    [
        ({"first_name": 7}, "first_name"),
        ({"id": "not-an-id"}, "id"),
        ({"address": "Main St"}, "address"),
        ("a string, not an object", "row"),
    ],
)
def test_values_of_the_wrong_type_fail_naming_the_column(row: object, column: str) -> None:
    with pytest.raises(DomainError) as refused:
        map_row(row, mapping_of({}), strict=True)
    assert (refused.value.code, refused.value.field) == (ErrorCode.VALIDATION_ERROR, column)


def test_null_is_kept_so_an_update_clears_and_absent_stays_absent() -> None:
    row = map_row({"phone": None}, mapping_of({}), strict=True)
    assert row.values == {"phone": None}
    assert "email" not in row.values


def test_a_new_contact_needs_both_names_named_by_their_source_column() -> None:
    mapping = mapping_of({"first_name": "firstName", "last_name": "lastName"})
    row = map_row({"firstName": "A"}, mapping, strict=True)
    with pytest.raises(DomainError) as refused:
        required_for_create(row)
    assert refused.value.field == "lastName"


@pytest.mark.parametrize(
    ("options", "status"),
    [
        (Options(update_existing=True), "updated"),
        (Options(update_existing=True, skip_duplicates=True), "updated"),
        (Options(skip_duplicates=True), "skipped"),
    ],
)
def test_a_matching_row_is_updated_or_skipped_as_the_options_say(
    options: Options, status: str
) -> None:
    assert on_match(options, uuid.uuid4(), by="email") == status


def test_a_matching_row_without_either_option_is_a_conflict() -> None:
    existing = uuid.uuid4()
    with pytest.raises(DomainError) as refused:
        on_match(Options(), existing, by="email_address")
    assert refused.value.code is ErrorCode.CONFLICT
    assert refused.value.field == "email_address"
    assert refused.value.details == {"contact_id": str(existing)}


async def test_a_failing_row_rolls_back_alone_on_sqlite(session: AsyncSession) -> None:
    """The embedded mode's database: each row's savepoint undoes only that row, its event
    included."""
    scope = Scope(tenant_id=f"t_{uuid.uuid4().hex[:8]}")
    rows = [{"first_name": "A", "last_name": "B", "email": "a@x.io"},
            {"first_name": "C", "last_name": "  "},
            {"first_name": "E", "last_name": "F", "email": "A@X.io"}]  # fmt: skip
    results = await import_contacts(session, scope=scope, rows=rows, field_mapping={},
                                    options=Options(skip_duplicates=True))  # fmt: skip

    assert [r.status for r in results] == ["created", "failed", "skipped"]
    assert results[2].contact_id == results[0].contact_id
    names = await session.scalars(scoped(select(Contact.last_name), Contact, scope))
    assert list(names) == ["B"]
    topics = await session.scalars(scoped(select(OutboxEvent.topic), OutboxEvent, scope))
    assert list(topics) == ["contact.created"]
