"""Filters: the GraphQL inputs' translation into conditions (gql.filters) and what the
conditions select (db.filtering), run on SQLite. The per-type filter inputs are shown through
the router by the e2e tests (test_leads, test_contacts_accounts_api, test_deals_api)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from crmgraph.db import models
from crmgraph.db.filtering import Condition, Filter, JsonCondition, Related, compare, predicates
from crmgraph.db.scoping import Scope
from crmgraph.errors import DomainError
from crmgraph.gql.entity_filters import AccountType
from crmgraph.gql.filters import (
    DateTimeFilter,
    IDFilter,
    JSONFilter,
    StringFilter,
    conditions,
    id_conditions,
    json_conditions,
)

SCOPE = Scope(tenant_id="t_filters")
OTHER = Scope(tenant_id="t_filters_other")


def test_each_operator_set_is_one_condition_named_as_in_the_api() -> None:
    spec = StringFilter(eq="a", in_=["b", "c"], starts_with="d", is_null=False)

    assert conditions("email", spec) == [
        Condition("email", "eq", "a"),
        Condition("email", "in", ("b", "c")),
        Condition("email", "startsWith", "d"),
        Condition("email", "isNull", False),
    ]
    assert conditions("email", None) == []
    assert conditions("email", StringFilter()) == []


def test_a_time_without_a_zone_is_utc_and_enums_are_their_values() -> None:
    naive = datetime(2025, 1, 1)

    assert conditions("created_at", DateTimeFilter(gte=naive)) == [
        Condition("created_at", "gte", datetime(2025, 1, 1, tzinfo=UTC))
    ]
    assert conditions("type", StringFilter(eq=AccountType.CUSTOMER)) == [  # type: ignore[arg-type]
        Condition("type", "eq", "CUSTOMER")
    ]


def test_ids_are_parsed_and_a_bad_one_names_its_field() -> None:
    good = uuid.uuid4()

    assert id_conditions("owner_id", IDFilter(in_=[str(good)]), field="ownerId") == [
        Condition("owner_id", "in", (good,))
    ]
    with pytest.raises(DomainError) as raised:
        id_conditions("owner_id", IDFilter(eq="nope"), field="ownerId")
    assert raised.value.as_dict() == {
        "code": "VALIDATION_ERROR",
        "message": "ownerId is not a valid id",
        "field": "ownerId",
    }


def test_a_json_key_filter_and_exists() -> None:
    spec = JSONFilter(key="tier", in_=["gold"], exists=True)

    assert json_conditions("custom_fields", spec) == [
        JsonCondition("custom_fields", "tier", "in", ("gold",)),
        JsonCondition("custom_fields", "tier", "isNull", False),
    ]


def test_an_unknown_operator_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown filter operator"):
        compare(models.Contact.email, "like", "x")


async def contacts(session: AsyncSession) -> None:
    mine = models.Account(tenant_id=SCOPE.tenant_id, name="Mine", industry="Finance")
    theirs = models.Account(tenant_id=OTHER.tenant_id, name="Theirs", industry="Retail")
    session.add_all([mine, theirs])
    await session.flush()
    rows = [
        ("Ann", "ann@acme.io", "Acme 100%", mine.id, {"tier": "gold"}),
        ("Bob", "bob@ACME.io", "Acme_Co", None, {"tier": "silver"}),
        ("Cy", None, "Other", theirs.id, None),
    ]
    for first, email, company, account_id, custom in rows:
        session.add(models.Contact(tenant_id=SCOPE.tenant_id, first_name=first, last_name="X",
                                   email=email, company=company, account_id=account_id,
                                   custom_fields=custom))  # fmt: skip
    await session.flush()


async def names(session: AsyncSession, *found: Condition | JsonCondition | Related) -> list[str]:
    stmt = select(models.Contact.first_name).where(
        models.Contact.tenant_id == SCOPE.tenant_id,
        *predicates(models.Contact, Filter(tuple(found)), SCOPE),
    )
    return sorted(await session.scalars(stmt))


@pytest.mark.parametrize(
    ("found", "expected"),
    [
        ([Condition("email", "contains", "acme")], ["Ann", "Bob"]),
        ([Condition("email", "endsWith", "ACME.IO")], ["Ann", "Bob"]),
        ([Condition("email", "eq", "bob@acme.io")], []),
        ([Condition("email", "eq", "bob@acme.io", ignore_case=True)], ["Bob"]),
        ([Condition("company", "contains", "100%")], ["Ann"]),
        ([Condition("company", "contains", "_")], ["Bob"]),
        ([Condition("email", "ne", "ann@acme.io")], ["Bob", "Cy"]),
        ([Condition("email", "nin", ("ann@acme.io",))], ["Bob", "Cy"]),
        ([Condition("email", "in", ())], []),
        ([Condition("email", "nin", ())], ["Ann", "Bob", "Cy"]),
        ([Condition("email", "isNull", True)], ["Cy"]),
        ([Condition("email", "contains", "acme"), Condition("first_name", "startsWith", "b")],
         ["Bob"]),
        ([JsonCondition("custom_fields", "tier", "eq", "gold")], ["Ann"]),
        ([JsonCondition("custom_fields", "tier", "isNull", False)], ["Ann", "Bob"]),
        ([Related("account", Filter((Condition("industry", "eq", "Finance"),)))], ["Ann"]),
        ([Related("account", Filter((Condition("industry", "eq", "Retail"),)))], []),
    ],
)  # fmt: skip
async def test_conditions_select(
    session: AsyncSession,
    found: Sequence[Condition | JsonCondition | Related],
    expected: list[str],
) -> None:
    """ne and nin keep rows without a value; text search ignores case and takes % and _
    literally; a related filter sees only the caller's tenant."""
    await contacts(session)

    assert await names(session, *found) == expected
