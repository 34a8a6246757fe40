"""moveDealStage under real concurrency: one deal, many moves at once, one stage chain."""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from itertools import pairwise
from typing import Any

import httpx
from sqlalchemy import event

from crmgraph.db.scoping import Scope
from crmgraph.domain import deals
from tests.factories import STAGES, make_pipeline
from tests.stack import Stack

MOVES = 32
MOVE = """mutation($d: ID!, $s: ID!) { moveDealStage(dealId: $d, stageId: $s) {
  deal { stage status probability } stageChange { previousStage newStage } } }"""
HISTORY = """query($id: ID!) { deal(id: $id) { stage stageHistory { previousStage newStage } } }"""
# Statements that read a deal, its stages or its history (the relay's outbox reads and the
# cached role lookup of authentication are not part of the move).
DEAL_READS = re.compile(r"^\s*SELECT\b.*\b(deals|pipeline_stages|deal_stage_changes)\b", re.S)


def make_deal(stack: Stack, tenant: str) -> tuple[uuid.UUID, dict[str, uuid.UUID]]:
    async def make() -> tuple[uuid.UUID, dict[str, uuid.UUID]]:
        scope = Scope(tenant_id=tenant)
        async with stack.runtime.sessions() as session, session.begin():
            _, stages = await make_pipeline(session, scope)
            deal = await deals.create_deal(
                session, scope=scope, data=deals.NewDeal(title="Raced", value=100)
            )
        return deal.id, {name: stage.id for name, stage in stages.items()}

    return stack.call(make)


async def move_all(stack: Stack, tenant: str, deal_id: uuid.UUID, targets: list[uuid.UUID]) -> Any:
    headers = {"authorization": f"Bearer {stack.token(tenant)}"}
    limits = httpx.Limits(max_connections=len(targets))
    async with httpx.AsyncClient(timeout=60, limits=limits) as client:

        async def move(stage_id: uuid.UUID) -> Any:
            variables = {"d": str(deal_id), "s": str(stage_id)}
            sent = {"query": MOVE, "variables": variables}
            return (await client.post(stack.router_url, json=sent, headers=headers)).json()

        return await asyncio.gather(*(move(target) for target in targets))


def test_concurrent_moves_of_one_deal_keep_one_stage_chain(stack: Stack, tenant: str) -> None:
    deal_id, stages = make_deal(stack, tenant)
    names = [name for name, _ in STAGES]
    # Every stage in turn, so that moves race from one stage to several others at once.
    targets = [stages[names[(i % (len(names) - 1)) + 1]] for i in range(MOVES)]
    answers = asyncio.run(move_all(stack, tenant, deal_id, targets))

    moved = [a["data"]["moveDealStage"] for a in answers if a.get("errors") is None]
    refused = [a["errors"] for a in answers if a.get("errors") is not None]
    # A move may only be refused as a CONFLICT (its target became the deal's stage meanwhile).
    codes = {e["extensions"]["code"] for errors in refused for e in errors}
    assert codes <= {"CONFLICT"}, refused
    assert len(moved) + len(refused) == MOVES

    body = stack.graphql(HISTORY, {"id": str(deal_id)}, tenant=tenant).json()
    assert body.get("errors") is None, body
    deal = body["data"]["deal"]
    history = deal["stageHistory"]
    assert history[0] == {"previousStage": None, "newStage": "Lead"}
    broken = [
        (i, before["newStage"], after["previousStage"])
        for i, (before, after) in enumerate(pairwise(history), start=1)
        if after["previousStage"] != before["newStage"]
    ]
    print(f"{MOVES} concurrent moves: {len(moved)} applied, {len(refused)} CONFLICT, "
          f"{len(broken)} broken links")  # fmt: skip
    assert broken == [], f"the stage history forks: {broken}"
    assert len(history) == len(moved) + 1
    assert deal["stage"] == history[-1]["newStage"]
    # Each applied move reported the stage the deal was really in before it.
    reported = sorted((m["stageChange"]["previousStage"], m["stageChange"]["newStage"])
                      for m in moved)  # fmt: skip
    recorded = sorted((h["previousStage"], h["newStage"]) for h in history[1:])
    assert reported == recorded


@contextmanager
def deal_reads(stack: Stack) -> Iterator[list[str]]:
    """The SELECTs of deals, stages and stage history that run inside the block."""
    seen: list[str] = []

    def record(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        if DEAL_READS.match(statement):
            seen.append(statement)

    engines = (stack.runtime.engine.sync_engine, stack.runtime.read_engine.sync_engine)
    for engine in engines:
        event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        for engine in engines:
            event.remove(engine, "before_cursor_execute", record)


def test_one_move_reads_the_deal_and_its_stages_once(stack: Stack, tenant: str) -> None:
    deal_id, stages = make_deal(stack, tenant)
    with deal_reads(stack) as seen:
        body = stack.graphql(MOVE, {"d": str(deal_id), "s": str(stages["Proposal"])},
                             tenant=tenant).json()  # fmt: skip
    assert body.get("errors") is None, body
    assert body["data"]["moveDealStage"] == {
        "deal": {"stage": "Proposal", "status": "ACTIVE", "probability": 50},
        "stageChange": {"previousStage": "Lead", "newStage": "Proposal"},
    }
    print(f"SELECTs of deals/stages for one moveDealStage: {len(seen)}")
    # One locked read of the deal, one read of both stages; the answer reuses them.
    assert len(seen) == 2, seen
    assert "FOR UPDATE" in seen[0]
