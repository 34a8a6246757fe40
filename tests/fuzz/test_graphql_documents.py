"""Hypothesis-generated hostile GraphQL requests through each router, as a tenant admin and
as a sales rep (tests/fuzz/documents.py): never a 5xx, every error in the documented format,
the router and the subgraphs alive and within bounded memory afterwards."""

from __future__ import annotations

import json

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.fuzz import budget
from tests.fuzz.documents import SHAPES, Body
from tests.fuzz.processes import FuzzedRouter, assert_alive, bounded_memory
from tests.fuzz.refusals import check_answer
from tests.stack import Stack

ROLES = ("tenant_admin", "sales_rep")


@pytest.mark.timeout(budget.timeout(900))
@pytest.mark.parametrize("shape", list(SHAPES))
def test_hostile_documents_get_documented_answers(
    stack: Stack, router: FuzzedRouter, tenant: str, shape: str, request: pytest.FixtureRequest
) -> None:
    tokens = {role: stack.token(tenant, roles=(role,)) for role in ROLES}

    with httpx.Client(timeout=60) as client, bounded_memory(router):

        @settings(max_examples=budget.examples(), deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))  # fmt: skip
        @given(body=SHAPES[shape], role=st.sampled_from(ROLES))
        def answered(body: Body, role: str) -> None:
            sent = json.dumps(body).encode()
            headers = {"authorization": f"Bearer {tokens[role]}",
                       "content-type": "application/json"}  # fmt: skip
            answer = client.post(router.url, content=sent, headers=headers)
            what = f"{shape} to {router.kind} as {role}: {sent[:300]!r}"
            check_answer(answer.status_code, answer.headers, answer.content, what=what)

        answered()
    assert_alive(stack, router)
