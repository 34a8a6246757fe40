"""The field rules of the create functions, run on SQLite: each refusal is a DomainError
naming the field, raised before anything is written. tests/e2e/test_validation.py keeps the
cases that show the error reaching the client in the documented format."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from crmgraph.db import models
from crmgraph.db.scoping import Scope
from crmgraph.domain import accounts, contacts, deals
from crmgraph.errors import DomainError
from tests.factories import make_pipeline

SCOPE = Scope(tenant_id="t_unit")
# A pipeline of the tenant's two ("Mine") and the stages of the other one.
World = tuple[models.Pipeline, dict[str, models.PipelineStage]]
Create = Callable[[AsyncSession, World], Awaitable[object]]


def deal(**given: Any) -> Create:
    async def create(session: AsyncSession, world: World) -> object:
        mine, other = world
        data = {"title": "T", "value": 1, "pipeline_id": mine.id, **given}
        if data.get("stage_id") == "OTHER":
            data["stage_id"] = other["Proposal"].id
        return await deals.create_deal(session, scope=SCOPE, data=deals.NewDeal(**data))

    return create


def contact(**given: Any) -> Create:
    async def create(session: AsyncSession, _: World) -> object:
        data = contacts.NewContact(**{"first_name": "A", "last_name": "B", **given})
        return await contacts.create_contact(session, scope=SCOPE, data=data)

    return create


def account(**given: Any) -> Create:
    async def create(session: AsyncSession, _: World) -> object:
        data = accounts.NewAccount(**{"name": "A", **given})
        return await accounts.create_account(session, scope=SCOPE, data=data)

    return create


async def rows(session: AsyncSession) -> dict[str, int]:
    counted = {}
    for model in (models.Deal, models.Contact, models.Account, models.OutboxEvent):
        counted[model.__name__] = await session.scalar(select(func.count()).select_from(model))
    return counted


@pytest.mark.parametrize(
    ("create", "code", "field"),
    [
        pytest.param(contact(email="a@b"), "VALIDATION_ERROR", "email", id="contact-email"),
        pytest.param(contact(first_name=" "), "VALIDATION_ERROR", "firstName", id="first-name"),
        pytest.param(deal(value=-1), "VALIDATION_ERROR", "value", id="deal-value"),
        pytest.param(deal(probability=101), "VALIDATION_ERROR", "probability", id="prob-101"),
        pytest.param(deal(probability=-1), "VALIDATION_ERROR", "probability", id="prob-minus"),
        pytest.param(deal(stage_id="OTHER"), "VALIDATION_ERROR", "stageId", id="other-stage"),
        pytest.param(deal(currency="dollars"), "VALIDATION_ERROR", "currency", id="currency"),
        pytest.param(deal(title="  "), "VALIDATION_ERROR", "title", id="deal-title"),
        pytest.param(deal(contact_id=uuid.uuid4()), "NOT_FOUND", "contactId", id="contact-id"),
        pytest.param(deal(account_id=uuid.uuid4()), "NOT_FOUND", "accountId", id="deal-account"),
        pytest.param(contact(account_id=uuid.uuid4()), "NOT_FOUND", "accountId", id="account-id"),
        pytest.param(account(name="  "), "VALIDATION_ERROR", "name", id="account-name"),
        pytest.param(account(employees=-5), "VALIDATION_ERROR", "employees", id="employees"),
        pytest.param(account(type="FRIEND"), "VALIDATION_ERROR", "type", id="account-type"),
        pytest.param(account(annual_revenue=-1), "VALIDATION_ERROR", "annualRevenue",
                     id="revenue"),
        pytest.param(account(parent_account_id=uuid.uuid4()), "NOT_FOUND", "parentAccountId",
                     id="parent"),
    ],
)  # fmt: skip
async def test_invalid_input_is_refused_with_its_field_and_writes_nothing(
    session: AsyncSession, create: Create, code: str, field: str
) -> None:
    mine, _ = await make_pipeline(session, SCOPE, name="Mine")
    _, other = await make_pipeline(session, SCOPE, name="Other")
    before = await rows(session)

    with pytest.raises(DomainError) as raised:
        await create(session, (mine, other))

    assert (raised.value.code.value, raised.value.field) == (code, field)
    assert await rows(session) == before


async def test_valid_input_is_created_with_the_stage_rules(session: AsyncSession) -> None:
    """The counterpart of the refusals: the same inputs, valid, are written (and a stage at
    100% closes the deal as won)."""
    pipeline, stages = await make_pipeline(session, SCOPE)
    created = await account()(session, (pipeline, stages))
    assert isinstance(created, models.Account)

    won = await deals.create_deal(
        session, scope=SCOPE,
        data=deals.NewDeal(title="T", value=1.005, currency="eur", account_id=created.id,
                           stage_id=stages["Closed Won"].id),
    )  # fmt: skip

    assert (won.status, won.probability, won.currency, str(won.value)) == (
        "WON",
        100,
        "EUR",
        "1.00",
    )
    assert won.actual_close_date is not None
    assert (await rows(session))["Deal"] == 1
