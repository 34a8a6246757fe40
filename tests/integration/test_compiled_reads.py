"""The compiled read path (crmgraph.compiled) against the resolvers: the deals, contacts and
accounts subgraphs' apps each built twice over one database, compiled reads on and off, sent
the same requests as the router sends them (its secret, the caller's token). Every answer
must be the same bytes, errors included, for several callers of two tenants."""

from __future__ import annotations

import logging
import re
import secrets
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from crmgraph.auth.tokens import issue_token
from crmgraph.compiled.hook import CompiledReads, front_of
from crmgraph.config import Settings
from crmgraph.db import models
from crmgraph.gql.router_gate import HEADER
from crmgraph.runtime import Runtime
from subgraphs.accounts.app import create_app as accounts_app
from subgraphs.contacts.app import create_app as contacts_app
from subgraphs.deals.app import create_app as deals_app
from tests.factories import make_deal_world
from tests.integration.compiled_cases import (
    BENCH_AND_DESIGN,
    DEAL_BY_ID,
    Case,
    Data,
    cases,
)
from tests.integration.compiled_entity_cases import ENTITY_EXAMPLES, entity_cases

APPS = {"deals": deals_app, "contacts": contacts_app, "accounts": accounts_app}


@dataclass
class Side:
    compiled: httpx.AsyncClient
    resolvers: httpx.AsyncClient
    front: CompiledReads


@dataclass
class Pair:
    subgraphs: dict[str, Side]
    settings: Settings
    data: Data

    @property
    def counts(self) -> Any:
        return self.subgraphs["deals"].front.counts


async def _vary(
    on: Runtime, tenant: str, odd_name: bool
) -> tuple[list[uuid.UUID], list[uuid.UUID]]:
    """The tenant's contacts and accounts, oldest first, given the columns the deal world
    leaves empty: quotes, a backslash, non-ASCII text, fractions of revenue; with odd_name,
    contact 6's last name ends in a space Python strips and PostgreSQL does not (its
    fullName: the resolvers answer)."""
    async with on.sessions() as session, session.begin():
        contacts = list(await session.scalars(
            select(models.Contact.id).where(models.Contact.tenant_id == tenant)
            .order_by(models.Contact.created_at, models.Contact.id)))  # fmt: skip
        accounts = list(await session.scalars(
            select(models.Account.id).where(models.Account.tenant_id == tenant)
            .order_by(models.Account.created_at, models.Account.id)))  # fmt: skip
        phones = [None, "+1 555 0100", 'say "hi"', "back\\slash", "Zürich ☎"]
        for n, ident in enumerate(contacts):
            await session.execute(update(models.Contact).where(models.Contact.id == ident).values(
                phone=phones[n % 5], job_title=None if n % 3 else f"Head of {n}",
                company=None if n % 4 == 1 else "Co\x01" if n == 2 else f"Co {n % 3}",
                last_name="L\u00a0" if n == 6 and odd_name else f"L{n}"))  # fmt: skip
        kinds = ["CUSTOMER", "PROSPECT", "PARTNER", "VENDOR", "OTHER"]
        # 10^13 and up: the money formatting's float8 branch (crmgraph.compiled.jsontext); as
        # a double this one is 99999999999999.98.
        revenue = [
            None,
            Decimal("1250000.50"),
            Decimal("99.99"),
            Decimal("0"),
            Decimal("99999999999999.99"),
        ]
        for n, ident in enumerate(accounts):
            await session.execute(update(models.Account).where(models.Account.id == ident).values(
                type=kinds[n % 5], annual_revenue=revenue[n % 5],
                employees=None if n == 3 else 10 * n + 5,
                website=f"https://a{n}.example/'q'"))  # fmt: skip
    return contacts, accounts


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
        # Descriptions with control characters for some deals, plain text for most: a row's
        # texts go in plain quotes only when none needs escaping (crmgraph.compiled.jsontext).
        for n, deal_id in enumerate(deal_ids[0][:12]):
            await session.execute(update(models.Deal).where(models.Deal.id == deal_id).values(
                description=[None, "two\nlines", "plain words", "a\ttab", "unit\x1fsep",
                             "bell\x07", 'say "so"'][n % 7]))  # fmt: skip
        # Owners for the callers reading at the own and team level: ada and bob of team
        # north, cy of south, five deals each.
        reader = await owners_of(session, tenants[0], deal_ids[0])
    varied = [await _vary(on, t, odd_name=n == 1) for n, t in enumerate(tenants)]
    headers = {HEADER: base.router_secret or ""}
    sides = {}
    for name, create in APPS.items():
        app_on, app_off = create(on), create(off)
        assert isinstance(front_of(app_on), CompiledReads), name
        assert front_of(app_off) is None, name
        sides[name] = Side(
            httpx.AsyncClient(transport=httpx.ASGITransport(app_on), base_url=f"http://{name}",
                              headers=headers),
            httpx.AsyncClient(transport=httpx.ASGITransport(app_off), base_url=f"http://{name}",
                              headers=headers),
            front_of(app_on),
        )  # fmt: skip
    data = Data(tenants, deal_ids, callers(base, tenants, reader))
    data.contact_ids = [v[0] for v in varied]
    data.account_ids = [v[1] for v in varied]
    pair = Pair(sides, base, data)
    # Cursors of the first tenant's rows in the default order, as the resolvers give them.
    admin = {"authorization": f"Bearer {data.tokens['admin_a']}"}
    for name, many in (("deals", "deals"), ("contacts", "contacts"), ("accounts", "accounts")):
        first = {"query": f"{{ {many}(first: 30) {{ edges {{ cursor }} }} }}"}
        page = await sides[name].resolvers.post("/graphql", headers=admin, json=first)
        data.entity_cursors[many] = [e["cursor"] for e in page.json()["data"][many]["edges"]]
    data.cursors = data.entity_cursors["deals"][::7]
    yield pair
    for side in sides.values():
        await side.compiled.aclose()
        await side.resolvers.aclose()
    await on.close()
    await off.close()


async def owners_of(session: AsyncSession, tenant: str, deal_ids: list[uuid.UUID]) -> str:
    """Gives the first fifteen deals owners (see pair); ada's id."""
    users = []
    for name, team in (("ada", "north"), ("bob", "north"), ("cy", "south")):
        user = models.User(tenant_id=tenant, email=f"{name}@x.io", name=name, team=team)
        session.add(user)
        await session.flush()
        users.append(user.id)
    for n, owner in enumerate(users):
        chosen = deal_ids[5 * n : 5 * n + 5]
        await session.execute(
            update(models.Deal).where(models.Deal.id.in_(chosen)).values(owner_id=owner)
        )
    return str(users[0])


def callers(settings: Settings, tenants: list[str], reader: str) -> dict[str, str | None]:
    """Tokens by caller: admins of both tenants, a sales rep, a caller reading deals only,
    one reading contacts only, one reading contacts and accounts at the own and team levels,
    ada (reader) reading deals at the own and at the team level, and no token at all."""

    def token(tenant: str, roles: tuple[str, ...], permissions: tuple[str, ...] = (),
              subject: str | None = None, **extra: Any) -> str:  # fmt: skip
        return issue_token(settings, tenant_id=tenant, subject=subject or f"dev:{tenant}",
                           roles=roles, permissions=permissions, extra=extra)  # fmt: skip

    a, b = tenants
    return {
        "admin_a": token(a, ("tenant_admin",)),
        "admin_b": token(b, ("tenant_admin",)),
        "rep_a": token(a, ("sales_rep",)),
        "deals_only_a": token(a, (), ("deals:read",)),
        "no_deals_a": token(a, (), ("contacts:read",)),
        "own_team_a": token(a, (), ("contacts:read:own", "accounts:team:read")),
        "own_deals_a": token(a, (), ("deals:read:own", "contacts:read"), reader),
        "team_deals_a": token(a, (), ("deals:read:team", "contacts:read"), reader, team="north"),
        "anonymous": None,
    }


async def both(pair: Pair, case: Case, caller: str) -> tuple[httpx.Response, httpx.Response]:
    token = pair.data.tokens[caller]
    headers = {} if token is None else {"authorization": f"Bearer {token}"}
    body = {"query": case.query, "variables": case.variables}
    if case.operation_name is not None:
        body["operationName"] = case.operation_name
    side = pair.subgraphs[case.subgraph]
    on = await side.compiled.post("/graphql", json=body, headers=headers)
    off = await side.resolvers.post("/graphql", json=body, headers=headers)
    return on, off


def assert_same(on: httpx.Response, off: httpx.Response, case: Case, caller: str) -> None:
    where = f"{caller} @{case.subgraph}: {case.query} {case.variables}"
    assert (on.status_code, on.content) == (off.status_code, off.content), where


def assert_parameters_used(pair: Pair) -> None:
    """Every plan cached takes exactly the parameters its statement numbers ($1..$n)."""
    for side in pair.subgraphs.values():
        for plan in side.front.plans._plans.values():
            if plan is not None:
                used = {int(n) for n in re.findall(r"\$(\d+)", plan.sql)}
                assert used == set(range(1, len(plan.getters) + 1)), plan.sql


def compiled(pair: Pair, subgraph: str) -> int:
    return pair.subgraphs[subgraph].front.counts.compiled


async def test_bench_and_design_operations_answer_alike(pair: Pair) -> None:
    before = pair.counts.compiled
    for make in BENCH_AND_DESIGN:
        case = make(pair.data)
        for caller in pair.data.tokens:
            on, off = await both(pair, case, caller)
            assert_same(on, off, case, caller)
    # Reads at the own and team level go to the resolvers, which keep them to ada's five
    # deals, her team's ten.
    page = Case("{ deals(first: 50) { totalCount } }", {})
    for caller, seen in (("own_deals_a", 5), ("team_deals_a", 10), ("admin_a", 30)):
        compiled = pair.counts.compiled
        on, off = await both(pair, page, caller)
        assert_same(on, off, page, caller)
        assert on.json()["data"]["deals"]["totalCount"] == seen, caller
        assert pair.counts.compiled == compiled + (caller == "admin_a"), caller
    escaped = await both(pair, BENCH_AND_DESIGN[-1](pair.data), "admin_a")
    assert escaped[0].json()["data"]["deals"]["totalCount"] == 1, escaped[0].json()
    # The bench's deal by id, page and entities compile for the admins at least.
    assert pair.counts.compiled - before >= 6, pair.counts
    assert_parameters_used(pair)


async def test_contact_and_account_operations_answer_alike(pair: Pair) -> None:
    """The router's fetches of a deals page's contact and account fields, by id, pages,
    and the readers each allows: each is compiled for an admin."""
    for make in ENTITY_EXAMPLES:
        case = make(pair.data)
        for caller in pair.data.tokens:
            before = compiled(pair, case.subgraph)
            on, off = await both(pair, case, caller)
            assert_same(on, off, case, caller)
            if caller == "admin_a" and case.plain:
                assert compiled(pair, case.subgraph) == before + 1, case.query
    assert_parameters_used(pair)


async def test_a_query_that_reads_no_rows_is_compiled_without_parameters(pair: Pair) -> None:
    """`{ __typename }` is a statement of no parameters (one with an unused tenant
    parameter failed in asyncpg), answered by the compiled path."""
    for subgraph in APPS:
        case = Case("{ __typename t: __typename }", subgraph=subgraph)
        before = compiled(pair, subgraph)
        on, off = await both(pair, case, "admin_a")
        assert_same(on, off, case, "admin_a")
        assert on.json() == {"data": {"__typename": "Query", "t": "Query"}}
        assert compiled(pair, subgraph) == before + 1, subgraph
    assert_parameters_used(pair)


@settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
async def test_generated_operations_answer_alike(pair: Pair, data: st.DataObject) -> None:
    """And a plain operation (fields and arguments the compiler knows) of an admin or a sales
    rep is answered by the compiled path: the comparison is not of the resolvers with
    themselves."""
    case = data.draw(st.one_of(cases(pair.data), entity_cases(pair.data)))
    # Half of them from the callers whose plain operations compile.
    readers = st.sampled_from(["admin_a", "admin_b", "rep_a"])
    caller = data.draw(st.one_of(readers, st.sampled_from(sorted(pair.data.tokens))))
    before = compiled(pair, case.subgraph)
    on, off = await both(pair, case, caller)
    assert_same(on, off, case, caller)
    if case.plain and (caller in ("admin_a", "rep_a") or (case.plain_b and caller == "admin_b")):
        assert compiled(pair, case.subgraph) == before + 1, (
            f"{caller}: {case.query} {case.variables}"
        )


async def test_a_refused_token_is_checked_and_logged_once(
    pair: Pair, caplog: pytest.LogCaptureFixture
) -> None:
    """The compiled front authenticates; when it passes the request on, Strawberry's
    context takes that outcome instead of checking the token again."""
    case = Case(DEAL_BY_ID, {"id": str(pair.data.deal_ids[0][0])})
    body = {"query": case.query, "variables": case.variables}
    with caplog.at_level(logging.WARNING, logger="crmgraph.security"):
        answer = await pair.subgraphs["deals"].compiled.post(
            "/graphql", json=body, headers={"authorization": "Bearer not-a-token"}
        )
    assert answer.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    failures = [r for r in caplog.records if "authentication_failed" in r.getMessage()]
    assert len(failures) == 1, [r.getMessage() for r in failures]
