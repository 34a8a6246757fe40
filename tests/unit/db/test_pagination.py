"""Cursor encoding and page-size rules."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmgraph.db.models import Deal
from crmgraph.db.pagination import PageArgs, Sort, decode_cursor, encode_cursor, page_size
from crmgraph.errors import DomainError


@given(st.datetimes(timezones=st.just(UTC)), st.uuids())
def test_cursor_round_trips(created_at: datetime, id_: uuid.UUID) -> None:
    row = Deal(id=id_, created_at=created_at)

    assert decode_cursor(encode_cursor(row, Sort()), Sort(), Deal, field="after") == (
        created_at,
        id_,
    )


def test_cursor_of_another_sort_is_refused() -> None:
    row = Deal(id=uuid.uuid4(), value=Decimal("5.00"))
    cursor = encode_cursor(row, Sort(column="value"))

    assert decode_cursor(cursor, Sort(column="value"), Deal, field="after")[0] == Decimal("5.00")
    with pytest.raises(DomainError) as raised:
        decode_cursor(cursor, Sort(), Deal, field="after")
    assert raised.value.message == "the cursor belongs to another sort order"


@pytest.mark.parametrize("cursor", ["", "abc", "bm90IGpzb24", "WyJ4IiwgInkiXQ"])
def test_garbage_cursor_is_a_validation_error(cursor: str) -> None:
    with pytest.raises(DomainError) as raised:
        decode_cursor(cursor, Sort(), Deal, field="after")

    assert (raised.value.code, raised.value.field) == ("VALIDATION_ERROR", "after")


def test_page_size_defaults_and_limits() -> None:
    assert page_size(PageArgs(), 100) == (20, True)
    assert page_size(PageArgs(last=7, before="x"), 100) == (7, False)
    with pytest.raises(DomainError):
        page_size(PageArgs(first=101), 100)
    with pytest.raises(DomainError):
        page_size(PageArgs(first=1, last=1), 100)
