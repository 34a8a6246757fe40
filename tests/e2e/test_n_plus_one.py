"""Dataloaders: the SQL statements of a federated page do not grow with its size."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from crmgraph.db.scoping import Scope
from crmgraph.domain import accounts, contacts, deals, pipelines
from tests.stack import Stack

PAGE = """query($n: Int!) { deals(first: $n) { edges { node {
  title stage contact { fullName email account { name industry } } account { name } } } } }"""


async def make_deals(sessions: async_sessionmaker[AsyncSession], tenant: str, n: int) -> None:
    scope = Scope(tenant_id=tenant)
    async with sessions() as session, session.begin():
        stages = (pipelines.NewStage(name="Open", order=1, probability=20),)
        await pipelines.create_pipeline(
            session, scope=scope, data=pipelines.NewPipeline(name="P", stages=stages)
        )
        for i in range(n):
            account = await accounts.create_account(
                session, scope=scope, data=accounts.NewAccount(name=f"Account {i}")
            )
            contact = await contacts.create_contact(
                session,
                scope=scope,
                data=contacts.NewContact(first_name="C", last_name=str(i), account_id=account.id),
            )
            await deals.create_deal(
                session,
                scope=scope,
                data=deals.NewDeal(title=f"D{i}", value=i, contact_id=contact.id),
            )


def test_page_of_50_deals_runs_no_more_statements_than_page_of_5(stack: Stack, tenant: str) -> None:
    stack.call(lambda: make_deals(stack.runtime.sessions, tenant, 50))
    counts = {}
    for n in (5, 50):
        with stack.counting_statements() as statements:
            body = stack.graphql(PAGE, {"n": n}, tenant=tenant).json()
        assert body.get("errors") is None, body
        assert len(body["data"]["deals"]["edges"]) == n
        assert all(e["node"]["contact"]["account"]["name"] for e in body["data"]["deals"]["edges"])
        counts[n] = statements[0]

    print(f"SQL statements per page: {counts}")
    assert counts[50] <= counts[5], counts
    assert counts[5] <= 5, counts
