"""Cursor encoding, page-size rules, and keyset walks on SQLite."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from crmgraph.db.models import Contact, Deal
from crmgraph.db.pagination import (
    PageArgs,
    Sort,
    decode_cursor,
    encode_cursor,
    fetch_page,
    page_size,
)
from crmgraph.db.scoping import Scope, scoped
from crmgraph.errors import DomainError
from tests.factories import make_contact

PLUS2 = timezone(timedelta(hours=2))


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


@pytest.mark.parametrize("descending", [False, True])
async def test_pages_walk_ties_and_time_zones_in_order_on_sqlite(
    session: AsyncSession, descending: bool
) -> None:
    """Keyset pages of 2 over rows sharing created_at (the id decides) and a time written
    with another offset: every row once, in (created_at, id) order, as the database binds
    the cursor's values with the columns' own types."""
    scope = Scope(tenant_id=f"t_{uuid.uuid4().hex[:8]}")
    made = [await make_contact(session, scope, first_name=f"C{i}") for i in range(7)]
    for i, contact in enumerate(made):
        at = datetime(2025, 1, 1, tzinfo=UTC) if i < 5 else datetime(2025, 1, 1, 3, tzinfo=PLUS2)
        await session.execute(update(Contact).where(Contact.id == contact.id).values(created_at=at))
    sort = Sort(descending=descending)
    stmt = scoped(select(Contact), Contact, scope)
    seen: list[uuid.UUID] = []
    after = None
    while True:
        page = await fetch_page(session, stmt, Contact, PageArgs(first=2, after=after), 10, sort)
        seen += [c.id for c in page.rows]
        if not page.has_next:
            break
        after = page.cursors[-1]

    ties = sorted(c.id for c in made[:5])
    later = sorted(c.id for c in made[5:])
    assert seen == ([*reversed(later), *reversed(ties)] if descending else [*ties, *later])
