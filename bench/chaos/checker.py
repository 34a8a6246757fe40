"""After the load: what clients were told (the ledger) against what the data holds
(PostgreSQL, Neo4j, the webhook receiver's log). Each check names what it lost (promised
and absent) and what it duplicated (a side effect more than once)."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Coroutine, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from neo4j import AsyncGraphDatabase
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bench.chaos.faults import Fault
from bench.chaos.load import Ledger
from bench.chaos.world import CREATED_TASK, ENTERED_TASK, TENANT, World
from crmgraph.db.scoping import scoped
from crmgraph.graph.model import Node
from crmgraph.graph.rebuild import SOURCES, WHERE

CREATES = {"createAccount": "accounts", "createContact": "contacts", "createDeal": "deals"}
# Faults after which a subscriber may miss events though it stayed connected: the path
# Redis -> subgraph -> router was cut. Misses within EXCUSE seconds of one are not losses.
PUBSUB_TARGETS = {"redis", "contacts", "router", "postgres"}
EXCUSE = 15.0


@dataclass
class Check:
    name: str
    checked: int = 0
    lost: list[str] = field(default_factory=list)
    duplicated: list[str] = field(default_factory=list)
    notes: dict[str, Any] = field(default_factory=dict)
    error: str | None = None  # the check could not run: nothing is proven

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "checked": self.checked,
            "lost": len(self.lost),
            "duplicated": len(self.duplicated),
            "lost_examples": self.lost[:10],
            "duplicated_examples": self.duplicated[:10],
            "error": self.error,
            **self.notes,
        }


async def guarded(name: str, check: Coroutine[Any, Any, Check]) -> Check:
    """The check, or one that says why it could not run (a service still down)."""
    try:
        return await check
    except Exception as exc:
        return Check(name, error=f"{type(exc).__name__}: {exc}"[:500])


async def _rows(sessions: async_sessionmaker[AsyncSession], sql: str, **params: Any) -> list[Any]:
    async with sessions() as session:
        return list(await session.execute(text(sql), {"t": TENANT, **params}))


async def mutations_persisted(sessions: async_sessionmaker[AsyncSession], ledger: Ledger) -> Check:
    check = Check("mutations_persisted")
    for kind, table in CREATES.items():
        told = {o.id for o in ledger.ops if o.kind == kind and o.ok and o.id}
        found = {
            str(r[0]) for r in await _rows(sessions, f"SELECT id FROM {table} WHERE tenant_id = :t")
        }
        check.checked += len(told)
        check.lost += [f"{kind} {i}" for i in sorted(told - found)]
    moves = Counter(
        (str(o.id), str(o.target)) for o in ledger.ops if o.kind == "moveDealStage" and o.ok
    )
    rows = Counter(
        (str(d), str(s))
        for d, s in await _rows(
            sessions,
            "SELECT deal_id, to_stage_id FROM deal_stage_changes WHERE tenant_id = :t"
            " AND from_stage_id IS NOT NULL",
        )
    )
    check.checked += sum(moves.values())
    check.lost += [
        f"moveDealStage {d} -> {s}: {n} told, {rows[(d, s)]} stored"
        for (d, s), n in moves.items()
        if rows[(d, s)] < n
    ]
    return check


async def zoho_mapped_once(sessions: async_sessionmaker[AsyncSession], ledger: Ledger) -> Check:
    check = Check("zoho_mapped_once")
    accepted = {z.zoho_id for z in ledger.zoho if z.status is not None and 200 <= z.status < 300}
    contacts = Counter(
        str(r[0])
        for r in await _rows(
            sessions, "SELECT zoho_id FROM contacts WHERE tenant_id = :t AND zoho_id IS NOT NULL"
        )
    )
    inbound = Counter(
        str(r[0])
        for r in await _rows(
            sessions, "SELECT record_id FROM zoho_inbound_events WHERE tenant_id = :t"
        )
    )
    created = Counter(
        str(r[0])
        for r in await _rows(
            sessions,
            "SELECT c.zoho_id FROM outbox_events o JOIN contacts c ON c.id = o.aggregate_id"
            " WHERE o.tenant_id = :t AND o.topic = 'contact.created' AND c.zoho_id IS NOT NULL",
        )
    )
    check.checked = len(accepted)
    for zoho_id in sorted(accepted):
        if contacts[zoho_id] == 0:
            check.lost.append(f"zoho {zoho_id}: accepted, no contact")
        if inbound[zoho_id] > 1:
            check.duplicated.append(f"zoho {zoho_id}: {inbound[zoho_id]} inbound events")
        if created[zoho_id] > 1:
            check.duplicated.append(f"zoho {zoho_id}: {created[zoho_id]} contact.created")
    unprocessed = await _rows(
        sessions,
        "SELECT record_id FROM zoho_inbound_events WHERE tenant_id = :t AND processed_at IS NULL",
    )
    check.lost += [f"zoho {r[0]}: never processed" for r in unprocessed]
    check.notes["resends"] = sum(z.resend for z in ledger.zoho)
    return check


def _excused(at: float, faults: Sequence[Fault]) -> bool:
    return any(
        f.target in PUBSUB_TARGETS and f.started - 1 <= at <= (f.ended or at) + EXCUSE
        for f in faults
    )


async def subscribers_reached(
    sessions: async_sessionmaker[AsyncSession], ledger: Ledger, faults: Sequence[Fault]
) -> Check:
    check = Check("subscribers_reached")
    events = [
        (str(a), t.timestamp())
        for a, t in await _rows(
            sessions,
            "SELECT aggregate_id, created_at FROM outbox_events WHERE tenant_id = :t"
            " AND topic IN ('contact.created', 'contact.updated')",
        )
    ]
    excused = redelivered = 0
    for session in ledger.sessions:
        if session.ready_at is None or session.ended_at is None:
            continue
        got = Counter(session.received)
        redelivered += sum(n - 1 for n in got.values() if n > 1)
        # A session cut by a fault may end before the last events were published.
        end = session.ended_at - (0 if session.error is None else EXCUSE)
        for contact, at in events:
            if not session.ready_at <= at <= end:
                continue
            check.checked += 1
            if contact in got:
                continue
            if _excused(at, faults):
                excused += 1
            else:
                check.lost.append(f"subscriber {session.subscriber}: contact {contact}")
    left = await _rows(
        sessions,
        "SELECT d.state, count(*) FROM outbox_deliveries d JOIN"
        " outbox_events o ON o.id = d.outbox_id WHERE o.tenant_id = :t AND"
        " d.consumer = 'redis-publisher' GROUP BY d.state",
    )
    check.lost += [f"redis-publisher: {n} {state} after recovery" for state, n in left]
    check.notes.update(
        excused_in_faults=excused,
        redelivered_to_subscribers=redelivered,
        sessions=len(ledger.sessions),
    )
    return check


def _digest(pairs: Iterable[tuple[str, str]]) -> str:
    return hashlib.sha256("\n".join(sorted(f"{i}|{v}" for i, v in pairs)).encode()).hexdigest()


async def projection_equal(sessions: async_sessionmaker[AsyncSession], uri: str) -> Check:
    """Per label: the nodes `crmgraph graph rebuild` would write from PostgreSQL (id,
    version) against Neo4j's; count and checksum."""
    check = Check("neo4j_projection")
    expected: dict[str, dict[str, str]] = {}
    for _what, table, convert in SOURCES:
        stmt = scoped(select(table), table, TENANT)
        if table in WHERE:
            stmt = stmt.where(WHERE[table])
        async with sessions() as session:
            for row in await session.scalars(stmt):
                made = convert(row)
                if isinstance(made, Node) and made.label != "User":
                    expected.setdefault(made.label, {})[made.id] = made.version
    labels: dict[str, Any] = {}
    async with AsyncGraphDatabase.driver(uri, auth=("neo4j", "x")) as driver:
        for label, nodes in expected.items():
            found = await driver.execute_query(
                f"MATCH (n:{label} {{tenant_id: $t}}) RETURN n.id AS id, n.version AS v", t=TENANT
            )
            graph = {str(r["id"]): str(r["v"]) for r in found.records}
            check.checked += len(nodes)
            same = _digest(nodes.items()) == _digest(graph.items())
            labels[label] = {"postgres": len(nodes), "neo4j": len(graph), "checksum_equal": same}
            check.lost += [f"{label} {i}: not in Neo4j" for i in nodes.keys() - graph.keys()]
            check.lost += [
                f"{label} {i}: Neo4j has {graph[i]}, PostgreSQL {v}"
                for i, v in nodes.items()
                if i in graph and graph[i] != v
            ]
            check.duplicated += [f"{label} {i}: in Neo4j only" for i in graph.keys() - nodes.keys()]
    check.notes["labels"] = labels
    return check


async def deliveries_done(sessions: async_sessionmaker[AsyncSession], world: World) -> Check:
    """Each contact.created event: delivered (the receiver has it) or dead-lettered."""
    check = Check("outbound_deliveries")
    events = {
        str(r[0])
        for r in await _rows(
            sessions,
            "SELECT event_id FROM outbox_events WHERE tenant_id = :t AND topic = 'contact.created'",
        )
    }
    attempts: dict[str, list[bool]] = {}
    for event_id, ok in await _rows(
        sessions, "SELECT event_id, succeeded FROM webhook_deliveries WHERE tenant_id = :t"
    ):
        attempts.setdefault(str(event_id), []).append(bool(ok))
    jobs = {
        str(r[0])
        for r in await _rows(sessions, "SELECT event_id FROM webhook_jobs WHERE tenant_id = :t")
    }
    received = Counter(
        r.headers.get("X-CRM-Delivery-ID", "") for r in world.receiver.received if r.verified
    )
    got_events = {
        r.headers.get("X-CRM-Event-ID", "") for r in world.receiver.received if r.verified
    }
    check.checked = len(events)
    dead = 0
    for event_id in sorted(events):
        tried = attempts.get(event_id, [])
        if event_id in jobs:
            check.lost.append(f"event {event_id}: still queued after recovery")
        elif any(tried):
            if event_id not in got_events:
                check.lost.append(f"event {event_id}: recorded delivered, receiver has none")
        elif tried:
            dead += 1  # out of attempts: dead-lettered, as documented
        else:
            check.lost.append(f"event {event_id}: never attempted")
    check.notes.update(
        dead_lettered=dead,
        attempts=sum(map(len, attempts.values())),
        redelivered=sum(n - 1 for n in received.values() if n > 1),
    )
    return check


async def automation_once(sessions: async_sessionmaker[AsyncSession]) -> Check:
    check = Check("automation_once")
    deals = [str(r[0]) for r in await _rows(sessions, "SELECT id FROM deals WHERE tenant_id = :t")]
    entered = Counter(
        str(r[0])
        for r in await _rows(
            sessions,
            "SELECT c.deal_id FROM deal_stage_changes c JOIN pipeline_stages s ON"
            " s.id = c.to_stage_id WHERE c.tenant_id = :t AND c.from_stage_id IS NOT NULL"
            " AND s.name = 'Won'",
        )
    )
    tasks = Counter(
        (str(d), title)
        for d, title in await _rows(
            sessions,
            "SELECT related_id, title FROM tasks WHERE tenant_id = :t AND related_type = 'DEAL'",
        )
    )
    for deal in deals:
        for title, want in ((CREATED_TASK, 1), (ENTERED_TASK, entered[deal])):
            check.checked += want
            have = tasks[(deal, title)]
            if have < want:
                check.lost.append(f"deal {deal}: {have} of {want} {title!r} tasks")
            elif have > want:
                check.duplicated.append(f"deal {deal}: {have} {title!r} tasks, {want} due")
    return check


async def consumers_drained(sessions: async_sessionmaker[AsyncSession]) -> Check:
    check = Check("outbox_drained")
    rows = await _rows(
        sessions,
        "SELECT d.consumer, d.state, count(*) FROM outbox_deliveries d"
        " JOIN outbox_events o ON o.id = d.outbox_id WHERE o.tenant_id = :t"
        " GROUP BY d.consumer, d.state",
    )
    check.checked = (
        await _rows(sessions, "SELECT count(*) FROM outbox_events WHERE tenant_id = :t")
    )[0][0]
    check.lost += [f"{c}: {n} {s}" for c, s, n in rows]
    return check


def as_json(checks: Sequence[Check]) -> list[dict[str, Any]]:
    return json.loads(json.dumps([c.as_json() for c in checks], default=str))  # type: ignore[no-any-return]
