"""The steady mixed load, and the ledger of what clients were told: GraphQL mutations and
queries through the router, graphql-ws subscribers that stay connected (and reconnect when
cut), and signed Zoho webhooks to the REST shim (now and then one sent again, as Zoho
retries). Nothing here judges; bench/chaos/checker.py compares the ledger with the data."""

from __future__ import annotations

import asyncio
import json
import random
import time
from dataclasses import dataclass, field
from typing import Any

import httpx
import websockets

from bench.chaos.world import ORG_ID, ZOHO_SECRET, World
from bench.webhook_checks import contact_event, signed_headers

CREATE_ACCOUNT = "mutation($n: String!) { createAccount(input: {name: $n}) { account { id } } }"
CREATE_CONTACT = """mutation($f: String!, $e: String!, $a: ID) { createContact(input:
  {firstName: $f, lastName: "Chaos", email: $e, accountId: $a}) { contact { id } } }"""
CREATE_DEAL = """mutation($t: String!, $v: Float!, $p: ID!) { createDeal(input:
  {title: $t, value: $v, pipelineId: $p}) { deal { id } } }"""
MOVE = "mutation($d: ID!, $s: ID!) { moveDealStage(dealId: $d, stageId: $s) { deal { id } } }"
CONTACTS = "{ contacts(first: 5) { edges { node { id fullName account { name } } } } }"
DEAL = "query($id: ID!) { deal(id: $id) { id title stage account { name } } }"
# Each operation's document and where its answer holds the id.
OPERATIONS: dict[str, tuple[str, list[str]]] = {
    "createAccount": (CREATE_ACCOUNT, ["createAccount", "account", "id"]),
    "createContact": (CREATE_CONTACT, ["createContact", "contact", "id"]),
    "createDeal": (CREATE_DEAL, ["createDeal", "deal", "id"]),
    "moveDealStage": (MOVE, ["moveDealStage", "deal", "id"]),
    "query:contacts": (CONTACTS, ["contacts"]),
    "query:deal": (DEAL, ["deal", "id"]),
}
SUBSCRIPTION = "subscription { contactUpdated { id email } }"
ZOHO_RATE = 5.0  # webhooks per second
RESEND_EVERY = 10  # every n-th webhook is followed by a resend of an earlier one


@dataclass
class Op:
    kind: str
    ok: bool
    started: float  # wall clock (time.time()), comparable with the database's times
    ended: float
    id: str | None = None
    target: str | None = None  # a move's stage
    error: str | None = None


@dataclass
class Session:
    """One subscriber connection: from its acknowledged subscribe to its end."""

    subscriber: int
    ready_at: float | None = None
    ended_at: float | None = None
    received: list[str] = field(default_factory=list)  # contact ids, in arrival order
    error: str | None = None


@dataclass
class ZohoSend:
    zoho_id: str
    resend: bool
    status: int | None
    at: float
    error: str | None = None


@dataclass
class Ledger:
    ops: list[Op] = field(default_factory=list)
    sessions: list[Session] = field(default_factory=list)
    zoho: list[ZohoSend] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "ops": [vars(o) for o in self.ops],
            "sessions": [vars(s) for s in self.sessions],
            "zoho": [vars(z) for z in self.zoho],
        }


def _error_of(answer: httpx.Response) -> str | None:
    if answer.status_code != 200:
        return f"HTTP {answer.status_code}: {answer.text[:200]}"
    body = answer.json()
    if body.get("errors"):
        return json.dumps(body["errors"])[:300]
    return None


class Load:
    def __init__(
        self,
        router_url: str,
        ws_url: str,
        rest_url: str,
        token: str,
        world: World,
        seed: int,
        run: str,
    ) -> None:
        self.router_url, self.ws_url, self.rest_url = router_url, ws_url, rest_url
        self.token, self.world, self.run = token, world, run
        self.rng = random.Random(seed)
        self.ledger = Ledger()
        self.stop = asyncio.Event()
        # Subscribers stay until the checker has let every event out (after self.stop).
        self.unsubscribe = asyncio.Event()
        self.accounts: list[str] = []
        self.counter = 0

    def _next(self) -> int:
        self.counter += 1
        return self.counter

    async def _call(
        self,
        client: httpx.AsyncClient,
        kind: str,
        target: str | None = None,
        **variables: Any,
    ) -> Op:
        query, path = OPERATIONS[kind]
        started = time.time()
        try:
            answer = await client.post(
                self.router_url, json={"query": query, "variables": variables}
            )
            error = _error_of(answer)
            made = None
            if error is None:
                made = answer.json()["data"]
                for key in path:
                    made = made[key]
        except (httpx.HTTPError, ValueError, KeyError, TypeError) as exc:
            error, made = f"{type(exc).__name__}: {exc}"[:300], None
        op = Op(
            kind,
            error is None,
            started,
            time.time(),
            made if isinstance(made, str) else None,
            target,
            error,
        )
        self.ledger.ops.append(op)
        return op

    async def writer(self) -> None:
        headers = {"authorization": f"Bearer {self.token}"}
        deals: dict[str, str] = {}  # my deals -> the stage last asked for
        stages = self.world.stages
        async with httpx.AsyncClient(headers=headers, timeout=15) as client:
            while not self.stop.is_set():
                roll, n = self.rng.random(), self._next()
                if roll < 0.15 or not self.accounts:
                    op = await self._call(client, "createAccount", n=f"acct-{n}")
                    if op.ok and op.id:
                        self.accounts.append(op.id)
                elif roll < 0.5:
                    account = self.rng.choice([*self.accounts, None])
                    email = f"c{n}.{self.run}@example.com"
                    await self._call(client, "createContact", f=f"C{n}", e=email, a=account)
                elif roll < 0.7 or not deals:
                    pipeline = self.world.pipeline
                    op = await self._call(client, "createDeal", t=f"d{n}", v=n, p=pipeline)
                    if op.ok and op.id:
                        deals[op.id] = stages["Open"]
                else:
                    deal = self.rng.choice(list(deals))
                    to = stages["Won"] if deals[deal] == stages["Open"] else stages["Open"]
                    deals[deal] = to
                    await self._call(client, "moveDealStage", target=to, d=deal, s=to)

    async def reader(self) -> None:
        headers = {"authorization": f"Bearer {self.token}"}
        async with httpx.AsyncClient(headers=headers, timeout=15) as client:
            while not self.stop.is_set():
                made = [o.id for o in self.ledger.ops[-50:] if o.kind == "createDeal" and o.ok]
                if made and self.rng.random() < 0.5:
                    await self._call(client, "query:deal", id=made[-1])
                else:
                    await self._call(client, "query:contacts")
                await asyncio.sleep(0.05)

    async def subscriber(self, number: int) -> None:
        """Connected until the load ends; when cut, connects again (a new session)."""
        while not self.unsubscribe.is_set():
            session = Session(number)
            self.ledger.sessions.append(session)
            try:
                await self._listen(session)
            except Exception as exc:  # any cut: refused, closed, a protocol error
                session.error = f"{type(exc).__name__}: {exc}"[:300]
            session.ended_at = time.time()
            await asyncio.sleep(0.5)

    async def _listen(self, session: Session) -> None:
        async with websockets.connect(
            self.ws_url,
            subprotocols=["graphql-transport-ws"],  # type: ignore[list-item]
            open_timeout=20,
            ping_interval=5,
            ping_timeout=10,
            max_queue=None,
        ) as ws:
            await ws.send(
                json.dumps(
                    {
                        "type": "connection_init",
                        "payload": {"authorization": f"Bearer {self.token}"},
                    }
                )
            )
            async with asyncio.timeout(20):
                while json.loads(await ws.recv())["type"] != "connection_ack":
                    pass
            await ws.send(
                json.dumps({"id": "1", "type": "subscribe", "payload": {"query": SUBSCRIPTION}})
            )
            # The router subscribes to the subgraph, which subscribes to Redis: give it time.
            ready_at = time.time() + 2.0
            while not self.unsubscribe.is_set():
                try:
                    raw = await asyncio.wait_for(ws.recv(), timeout=0.5)
                except TimeoutError:
                    if session.ready_at is None and time.time() >= ready_at:
                        session.ready_at = ready_at
                    continue
                message = json.loads(raw)
                if session.ready_at is None and time.time() >= ready_at:
                    session.ready_at = ready_at
                if message["type"] == "ping":
                    await ws.send(json.dumps({"type": "pong"}))
                elif message["type"] == "next":
                    contact = (message["payload"].get("data") or {}).get("contactUpdated")
                    if contact:
                        session.received.append(contact["id"])
                elif message["type"] in ("error", "complete"):
                    raise RuntimeError(f"subscription ended: {raw[:300]!r}")

    async def zoho(self) -> None:
        url = f"{self.rest_url}/webhooks/zoho/crm"
        sent: list[tuple[str, bytes]] = []
        async with httpx.AsyncClient(timeout=15) as client:
            n = 0
            while not self.stop.is_set():
                n += 1
                zoho_id, body = contact_event(ORG_ID, n, self.run)
                sent.append((zoho_id, body))
                await self._send_zoho(client, url, zoho_id, body, resend=False)
                if n % RESEND_EVERY == 0:
                    again_id, again = self.rng.choice(sent)
                    await self._send_zoho(client, url, again_id, again, resend=True)
                await asyncio.sleep(1 / ZOHO_RATE)

    async def _send_zoho(
        self, client: httpx.AsyncClient, url: str, zoho_id: str, body: bytes, *, resend: bool
    ) -> None:
        at = time.time()
        try:
            answer = await client.post(
                url, content=body, headers=signed_headers(ORG_ID, ZOHO_SECRET, body)
            )
            error = None if answer.is_success else answer.text[:200]
            self.ledger.zoho.append(ZohoSend(zoho_id, resend, answer.status_code, at, error))
        except httpx.HTTPError as exc:
            self.ledger.zoho.append(ZohoSend(zoho_id, resend, None, at, type(exc).__name__))
