"""Two accounts made each other's parent at the same moment: never a cycle, and the write
that loses the race gets a clear CONFLICT or the usual validation error, never an internal
error (the row locks make one of them wait or, when each holds what the other needs, the
database picks one to fail)."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from crmgraph.db.scoping import Scope
from crmgraph.domain import accounts
from tests.stack import Stack

PAIRS = 12
REPARENT = """mutation($id: ID!, $parent: ID!) {
  updateAccount(id: $id, input: {parentAccountId: $parent}) { account { id } } }"""
PARENT = "query($id: ID!) { account(id: $id) { parentAccount { id } } }"


def make_pairs(stack: Stack, tenant: str) -> list[tuple[str, str]]:
    async def make() -> list[tuple[str, str]]:
        scope = Scope(tenant_id=tenant)
        pairs = []
        async with stack.runtime.sessions() as session, session.begin():
            for i in range(PAIRS):
                made = [
                    await accounts.create_account(
                        session, scope=scope, data=accounts.NewAccount(name=f"{name}{i}")
                    )
                    for name in "AB"
                ]
                pairs.append((str(made[0].id), str(made[1].id)))
        return pairs

    return stack.call(make)


async def reparent_both(stack: Stack, tenant: str, pairs: list[tuple[str, str]]) -> list[Any]:
    headers = {"authorization": f"Bearer {stack.token(tenant)}"}
    async with httpx.AsyncClient(timeout=60) as client:

        async def reparent(id_: str, parent: str) -> Any:
            sent = {"query": REPARENT, "variables": {"id": id_, "parent": parent}}
            return (await client.post(stack.router_url, json=sent, headers=headers)).json()

        calls = [call for a, b in pairs for call in (reparent(a, b), reparent(b, a))]
        return await asyncio.gather(*calls)


def test_accounts_made_each_others_parent_at_once_never_form_a_cycle(
    stack: Stack, tenant: str
) -> None:
    pairs = make_pairs(stack, tenant)
    answers = asyncio.run(reparent_both(stack, tenant, pairs))

    codes = [e["extensions"]["code"] for a in answers for e in a.get("errors") or []]
    print(f"{len(answers)} concurrent reparentings: {sorted(set(codes))} {len(codes)} refused")
    assert set(codes) <= {"CONFLICT", "VALIDATION_ERROR"}, answers
    parent = {}
    for id_ in [i for pair in pairs for i in pair]:
        body = stack.graphql(PARENT, {"id": id_}, tenant=tenant).json()
        assert body.get("errors") is None, body
        parent[id_] = (body["data"]["account"]["parentAccount"] or {}).get("id")
    cycles = [(a, b) for a, b in pairs if parent[a] == b and parent[b] == a]
    assert cycles == [], f"{len(cycles)} of {PAIRS} pairs are each other's parent"
    assert len(codes) == PAIRS  # one of each pair was refused, the other applied
