"""The compiled read path (crmgraph.compiled) against the resolvers: the deals subgraph's app
built twice over one database, compiled reads on and off, sent the same requests as the
router sends them (its secret, the caller's token). Every answer must be the same bytes,
errors included, for several callers of two tenants."""

from __future__ import annotations

import logging
import secrets
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import update

from crmgraph.auth.tokens import issue_token
from crmgraph.compiled.hook import CompiledReads
from crmgraph.config import Settings
from crmgraph.db import models
from crmgraph.gql.router_gate import HEADER
from crmgraph.runtime import Runtime
from subgraphs.deals.app import create_app
from tests.factories import make_deal_world
from tests.integration.compiled_cases import BENCH_AND_DESIGN, DEAL_BY_ID, Case, Data, cases


@dataclass
class Pair:
    compiled: httpx.AsyncClient
    resolvers: httpx.AsyncClient
    counts: Any
    settings: Settings
    data: Data


def _front(app: Any) -> CompiledReads:
    """The CompiledReads behind the router's gate (crmgraph.gql.router_gate.RouterOnly)."""
    return app.app  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
async def pair(pg_settings: Settings) -> AsyncIterator[Pair]:
    base = pg_settings.model_copy(
        update={"router_secret": secrets.token_urlsafe(32), "neo4j_uri": None,
                "consumers_in_process": False}
    )  # fmt: skip
    on = await Runtime.open(base.model_copy(update={"compiled_reads": True}))
    off = await Runtime.open(base.model_copy(update={"compiled_reads": False}))
    tenants = [f"t_{uuid.uuid4().hex[:12]}" for _ in range(2)]
    deal_ids = [await make_deal_world(on.sessions, t, deals_count=30, seed=n)
                for n, t in enumerate(tenants)]  # fmt: skip
    # A title with a quote, a backslash and LIKE's wildcards, for the filters that name it.
    async with on.sessions() as session, session.begin():
        await session.execute(
            update(models.Deal)
            .where(models.Deal.id == deal_ids[0][4])
            .values(title="it's \\ 100%_ off")
        )
    app_on, app_off = create_app(on), create_app(off)
    assert isinstance(_front(app_on), CompiledReads)
    assert not isinstance(_front(app_off), CompiledReads)
    headers = {HEADER: base.router_secret or ""}
    compiled = httpx.AsyncClient(transport=httpx.ASGITransport(app_on), base_url="http://deals",
                                 headers=headers)  # fmt: skip
    resolvers = httpx.AsyncClient(transport=httpx.ASGITransport(app_off), base_url="http://deals",
                                  headers=headers)  # fmt: skip
    data = Data(tenants, deal_ids, callers(base, tenants))
    # Cursors of the first tenant's deals in the default order, as the resolvers give them.
    admin = {"authorization": f"Bearer {data.tokens['admin_a']}"}
    first = {"query": "{ deals(first: 30) { edges { cursor } } }"}
    page = await resolvers.post("/graphql", headers=admin, json=first)
    data.cursors = [e["cursor"] for e in page.json()["data"]["deals"]["edges"]][::7]
    yield Pair(compiled, resolvers, _front(app_on).counts, base, data)
    await compiled.aclose()
    await resolvers.aclose()
    await on.close()
    await off.close()


def callers(settings: Settings, tenants: list[str]) -> dict[str, str | None]:
    """Tokens by caller: admins of both tenants, a sales rep, a caller reading deals only,
    one reading no deals, and no token at all."""

    def token(tenant: str, roles: tuple[str, ...], permissions: tuple[str, ...] = ()) -> str:
        return issue_token(settings, tenant_id=tenant, subject=f"dev:{tenant}", roles=roles,
                           permissions=permissions, extra={})  # fmt: skip

    a, b = tenants
    return {
        "admin_a": token(a, ("tenant_admin",)),
        "admin_b": token(b, ("tenant_admin",)),
        "rep_a": token(a, ("sales_rep",)),
        "deals_only_a": token(a, (), ("deals:read",)),
        "no_deals_a": token(a, (), ("contacts:read",)),
        "anonymous": None,
    }


async def both(pair: Pair, case: Case, caller: str) -> tuple[httpx.Response, httpx.Response]:
    token = pair.data.tokens[caller]
    headers = {} if token is None else {"authorization": f"Bearer {token}"}
    body = {"query": case.query, "variables": case.variables}
    if case.operation_name is not None:
        body["operationName"] = case.operation_name
    on = await pair.compiled.post("/graphql", json=body, headers=headers)
    off = await pair.resolvers.post("/graphql", json=body, headers=headers)
    return on, off


def assert_same(on: httpx.Response, off: httpx.Response, case: Case, caller: str) -> None:
    where = f"{caller}: {case.query} {case.variables}"
    assert (on.status_code, on.content) == (off.status_code, off.content), where


async def test_bench_and_design_operations_answer_alike(pair: Pair) -> None:
    before = pair.counts.compiled
    for make in BENCH_AND_DESIGN:
        case = make(pair.data)
        for caller in pair.data.tokens:
            on, off = await both(pair, case, caller)
            assert_same(on, off, case, caller)
    escaped = await both(pair, BENCH_AND_DESIGN[-1](pair.data), "admin_a")
    assert escaped[0].json()["data"]["deals"]["totalCount"] == 1, escaped[0].json()
    # The bench's deal by id, page and entities compile for the admins at least.
    assert pair.counts.compiled - before >= 6, pair.counts


@settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
async def test_generated_operations_answer_alike(pair: Pair, data: st.DataObject) -> None:
    """And a plain operation (fields and arguments the compiler knows) of an admin or a sales
    rep is answered by the compiled path: the comparison is not of the resolvers with
    themselves."""
    case = data.draw(cases(pair.data))
    caller = data.draw(st.sampled_from(sorted(pair.data.tokens)))
    before = pair.counts.compiled
    on, off = await both(pair, case, caller)
    assert_same(on, off, case, caller)
    if case.plain and caller in ("admin_a", "admin_b", "rep_a"):
        assert pair.counts.compiled == before + 1, f"{caller}: {case.query} {case.variables}"


async def test_a_refused_token_is_checked_and_logged_once(
    pair: Pair, caplog: pytest.LogCaptureFixture
) -> None:
    """The compiled front authenticates; when it passes the request on, Strawberry's
    context takes that outcome instead of checking the token again."""
    case = Case(DEAL_BY_ID, {"id": str(pair.data.deal_ids[0][0])})
    body = {"query": case.query, "variables": case.variables}
    with caplog.at_level(logging.WARNING, logger="crmgraph.security"):
        answer = await pair.compiled.post(
            "/graphql", json=body, headers={"authorization": "Bearer not-a-token"}
        )
    assert answer.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    failures = [r for r in caplog.records if "authentication_failed" in r.getMessage()]
    assert len(failures) == 1, [r.getMessage() for r in failures]
