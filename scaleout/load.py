"""The soak's load: graphql-ws subscribers held open through the router, and a steady rate
of queries and mutations (deal moves, which every subscriber receives) through the same
address. Counts what was answered, what failed and what the subscribers received."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from datetime import timedelta
from typing import Any

import httpx
import websockets

from crmgraph.auth.tokens import issue_token
from crmgraph.config import Settings

TENANT = "soak"
STAGES = (("Lead", 10), ("Qualification", 25), ("Proposal", 50), ("Negotiation", 75))
PIPELINE = """mutation($stages: [StageInput!]!) { createPipeline(input: {name: "Soak",
  stages: $stages}) { pipeline { id stages { id } } } }"""
CREATE_DEAL = """mutation($t: String!, $p: ID!) { createDeal(input: {title: $t, value: 1000,
  pipelineId: $p}) { deal { id } } }"""
MOVE = "mutation($d: ID!, $s: ID!) { moveDealStage(dealId: $d, stageId: $s) { deal { id } } }"
DEALS = """{ deals(first: 20) { edges { node { id title value stage
  contact { fullName } account { name } } } totalCount } }"""
_DAY = timedelta(days=1)
CHANGES = "subscription($p: ID!) { dealStageChanged(pipelineId: $p) { deal { id } newStage } }"


#: Requests in flight at most: one more, when that many await their answers, is not sent and
#: counts as an error. Without a bound, a layout slower than the rate queues requests in the
#: client without end, and the client's own event loop, busy with its connection pool, then
#: misses its subscribers' keepalives and drops them (a 30-minute run did, at minute 3).
MAX_IN_FLIGHT = 50


class Load:
    def __init__(self, url: str, jwt_secret: str, *, rate: float, deals: int = 20) -> None:
        self.url, self.rate, self.deal_count = url, rate, deals
        settings = Settings(jwt_secret=jwt_secret)
        self.tokens = [
            issue_token(
                settings, tenant_id=TENANT, subject=f"soak-{i}", roles=("tenant_admin",), ttl=_DAY
            )
            for i in range(4)
        ]
        self._settings = settings
        self.client = httpx.AsyncClient(
            timeout=30, limits=httpx.Limits(max_connections=MAX_IN_FLIGHT)
        )
        self.pipeline = ""
        self.stages: list[str] = []
        self.deals: list[str] = []
        self.connected = self.events = self.requests = self.errors = 0
        self.error_samples: list[str] = []
        self._stopping = asyncio.Event()
        self._subscribers: list[asyncio.Task[None]] = []
        self._sockets: list[websockets.ClientConnection] = []

    async def _post(self, query: str, token: str, **variables: Any) -> dict[str, Any] | None:
        """The answer's data, or None (counted as an error)."""
        self.requests += 1
        try:
            response = await self.client.post(
                self.url, json={"query": query, "variables": variables},
                headers={"authorization": f"Bearer {token}"},
            )  # fmt: skip
            body = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            self._failed(f"{type(exc).__name__}: {exc}")
            return None
        if response.status_code != 200 or body.get("errors"):
            self._failed(f"{response.status_code}: {str(body.get('errors'))[:300]}")
            return None
        data: dict[str, Any] = body["data"]
        return data

    def _failed(self, why: str) -> None:
        """Counts a failed request and keeps why (_keep)."""
        self.errors += 1
        self._keep(why)

    def _keep(self, why: str) -> None:
        """The first three of each kind (the text before its first colon) are kept for the
        report: a flood of one kind must not hide a rarer one (a subscriber's close)."""
        kind = why.split(":", 1)[0]
        if sum(e.split(":", 1)[0] == kind for e in self.error_samples) < 3:
            self.error_samples.append(why)

    async def prepare(self) -> None:
        """The tenant's pipeline and deals to move."""
        stages = [{"name": n, "order": i + 1, "probability": p}
                  for i, (n, p) in enumerate(STAGES)]  # fmt: skip
        made = await self._post(PIPELINE, self.tokens[0], stages=stages)
        if made is None:
            raise RuntimeError("soak: could not create the pipeline through the router")
        self.pipeline = made["createPipeline"]["pipeline"]["id"]
        self.stages = [s["id"] for s in made["createPipeline"]["pipeline"]["stages"]]
        for i in range(self.deal_count):
            deal = await self._post(CREATE_DEAL, self.tokens[0], t=f"soak {i}", p=self.pipeline)
            if deal is None:
                raise RuntimeError("soak: could not create a deal through the router")
            self.deals.append(deal["createDeal"]["deal"]["id"])
        self.requests = self.errors = 0

    async def subscribe(self, n: int) -> None:
        """n subscribers, each its own user, connected and subscribed."""
        ready = [asyncio.Event() for _ in range(n)]
        for i in range(n):
            token = issue_token(self._settings, tenant_id=TENANT, subject=f"watcher-{i}",
                                roles=("sales_rep",), ttl=_DAY)  # fmt: skip
            self._subscribers.append(asyncio.create_task(self._subscriber(token, ready[i])))
            if i % 25 == 24:
                await asyncio.sleep(0.1)  # no stampede on the routers' accept queues
        await asyncio.wait_for(asyncio.gather(*(r.wait() for r in ready)), timeout=300)

    async def _subscriber(self, token: str, ready: asyncio.Event) -> None:
        ws_url = self.url.replace("http://", "ws://")
        async with websockets.connect(ws_url, subprotocols=["graphql-transport-ws"],  # type: ignore[list-item]
                                      open_timeout=120, max_queue=None) as ws:  # fmt: skip
            init = {"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}}
            await ws.send(json.dumps(init))
            while json.loads(await ws.recv())["type"] != "connection_ack":
                pass
            await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {
                "query": CHANGES, "variables": {"p": self.pipeline}}}))  # fmt: skip
            self.connected += 1
            self._sockets.append(ws)
            ready.set()
            try:
                # Until the server closes it or ends the subscription, or stop() does.
                async for raw in ws:
                    message = json.loads(raw)
                    kind = message["type"]
                    self.events += kind == "next"
                    if kind == "ping":
                        await ws.send(json.dumps({"type": "pong"}))
                    elif kind in ("error", "complete"):
                        # An open socket without its subscription receives nothing: the
                        # subscriber is gone, though the connection stays.
                        self._keep(f"subscription ended: {str(message)[:300]}")
                        break
            except websockets.ConnectionClosed as exc:
                if not self._stopping.is_set():
                    self._keep(f"subscriber closed: {exc}")
            finally:
                self.connected -= 1

    async def run(self) -> None:
        """Until stop(): rate requests a second, one in five a move."""
        n = 0
        started = time.monotonic()
        pending: set[asyncio.Task[Any]] = set()
        while not self._stopping.is_set():
            token = self.tokens[n % len(self.tokens)]
            if len(pending) >= MAX_IN_FLIGHT:
                self.requests += 1
                self._failed(f"not sent: {len(pending)} requests in flight")
            else:
                if n % 5 == 0:
                    move = n // 5
                    deal = self.deals[move % len(self.deals)]
                    stage = self.stages[(move // len(self.deals) + 1) % len(self.stages)]
                    call = self._post(MOVE, token, d=deal, s=stage)
                else:
                    call = self._post(DEALS, token)
                task = asyncio.create_task(call)
                pending.add(task)
                task.add_done_callback(pending.discard)
            n += 1
            delay = started + n / self.rate - time.monotonic()
            if delay > 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), timeout=delay)
        await asyncio.gather(*pending, return_exceptions=True)

    def stop(self) -> None:
        self._stopping.set()

    async def close(self) -> None:
        await asyncio.gather(*(ws.close() for ws in self._sockets), return_exceptions=True)
        await asyncio.gather(*self._subscribers, return_exceptions=True)
        await self.client.aclose()
