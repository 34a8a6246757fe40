"""Validation through the router: a GraphQL error with extensions {code, field}, and nothing
changed. The domain's field rules are unit tests (tests/unit/domain/test_create_rules.py);
these cases show each kind of refusal reaching the client: a domain rule, an unknown
reference, an update's unknown id, a JSON scalar, and text PostgreSQL cannot store."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from crmgraph.db.scoping import Scope
from tests.factories import make_pipeline
from tests.stack import Stack

COUNTS = "{ deals { totalCount } contacts { totalCount } accounts { totalCount } }"


def counts(stack: Stack, tenant: str) -> dict[str, Any]:
    body = stack.graphql(COUNTS, tenant=tenant).json()
    assert body.get("errors") is None, body
    result: dict[str, Any] = body["data"]
    return result


def pipelines(stack: Stack, tenant: str) -> tuple[dict[str, str], dict[str, str]]:
    async def run() -> tuple[dict[str, str], dict[str, str]]:
        scope = Scope(tenant_id=tenant)
        async with stack.runtime.sessions() as session, session.begin():
            _, mine = await make_pipeline(session, scope, name="Mine")
            _, other = await make_pipeline(session, scope, name="Other")
        return ({k: str(v.id) for k, v in mine.items()}, {k: str(v.id) for k, v in other.items()})

    return stack.call(run)


@pytest.mark.parametrize(
    ("mutation", "code", "field"),
    [
        ('createContact(input: {firstName: "A", lastName: "B", email: "a@b"}) { contact { id } }',
         "VALIDATION_ERROR", "email"),
        ('createContact(input: {firstName: "A", lastName: "B", accountId: "$UNKNOWN"}) '
         "{ contact { id } }", "NOT_FOUND", "accountId"),
        ('updateDeal(id: "$UNKNOWN", input: {title: "x"}) { deal { id } }', "NOT_FOUND", "id"),
        ('createDeal(input: {title: "T", value: 1, customFields: [1]}) { deal { id } }',
         "VALIDATION_ERROR", "customFields"),
        ('createContact(input: {firstName: "A\\u0000", lastName: "B"}) { contact { id } }',
         "VALIDATION_ERROR", None),
    ],
)  # fmt: skip
def test_invalid_input_is_refused_and_changes_nothing(
    stack: Stack, tenant: str, mutation: str, code: str, field: str
) -> None:
    _, other = pipelines(stack, tenant)
    before = counts(stack, tenant)
    query = (
        "mutation { "
        + mutation.replace("$OTHER_STAGE", other["Proposal"]).replace("$UNKNOWN", str(uuid.uuid4()))
        + " }"
    )

    body = stack.graphql(query, tenant=tenant).json()

    assert [(e["extensions"]["code"], e["extensions"].get("field")) for e in body["errors"]] == [
        (code, field)
    ]
    assert counts(stack, tenant) == before


def test_move_to_a_stage_of_another_pipeline_is_refused(stack: Stack, tenant: str) -> None:
    mine, other = pipelines(stack, tenant)
    deal = stack.graphql(
        'mutation($s: ID!) { createDeal(input: {title: "T", value: 1, stageId: $s}) '
        "{ deal { id } } }",
        {"s": mine["Lead"]},
        tenant=tenant,
    ).json()["data"]["createDeal"]["deal"]
    move = "mutation($d: ID!, $s: ID!) { moveDealStage(dealId: $d, stageId: $s) { deal { id } } }"

    body = stack.graphql(move, {"d": deal["id"], "s": other["Proposal"]}, tenant=tenant).json()

    assert body["errors"][0]["extensions"] == {"code": "VALIDATION_ERROR", "field": "stageId"}
    stage = stack.graphql(
        "query($id: ID!) { deal(id: $id) { stage stageHistory { newStage } } }",
        {"id": deal["id"]},
        tenant=tenant,
    ).json()
    assert stage == {"data": {"deal": {"stage": "Lead", "stageHistory": [{"newStage": "Lead"}]}}}
