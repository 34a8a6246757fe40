"""The fault schedule (seeded, printed before the run) and its injection: kill -9 a process
(the supervisor restarts it), restart the router (SIGTERM), pause a process past its
clients' timeouts (SIGSTOP, then SIGCONT), and stop a service and start it again (Redis,
Neo4j: SIGKILL; PostgreSQL: an immediate shutdown). One fault at a time; each is over when
what it hit answers again."""

from __future__ import annotations

import asyncio
import contextlib
import random
import signal
import time
from dataclasses import dataclass
from typing import Any, Protocol

from bench.chaos.stack import ChaosStack
from subgraphs.registry import NAMES

PAUSE_SECONDS = 20.0  # past the load's 15 s client timeout and the router's own
OUTAGE_SECONDS = 5.0
# How long a process may take to answer again: one restarted while Neo4j is down cannot
# start before Neo4j is back (README, Reliability), minutes on a loaded machine.
RECOVERY_SECONDS = 600.0
# Every kind once before any twice: (kind, target).
KINDS: list[tuple[str, str]] = [
    *[("kill", name) for name in NAMES],
    ("kill", "router"),
    ("kill", "worker"),
    ("kill", "rest"),
    ("restart", "router"),
    ("pause", "worker"),
    ("pause", "deals"),
    ("pause", "router"),
    ("outage", "redis"),
    ("outage", "neo4j"),
    ("outage", "postgres"),
]


class Service(Protocol):
    def start(self) -> None: ...
    def stop(self) -> None: ...


@dataclass
class Fault:
    at: float  # seconds after the load started, as scheduled
    kind: str
    target: str  # a service, or a tier of processes
    member: str = ""  # which process of the tier, in the scale-out layout (<tier>-<n>)
    started: float = 0.0  # wall clock
    ended: float | None = None  # wall clock: what it hit answers again
    error: str | None = None

    def as_json(self) -> dict[str, Any]:
        return vars(self)


def schedule(
    seconds: float,
    count: int,
    seed: int,
    kinds: list[tuple[str, str]] | None = None,
    copies: int = 1,
) -> list[Fault]:
    """count faults spread over the run (none in its first 10 s or its last 20 %, so the
    system is seen recovering), kinds in a seeded order, each once before any again; with
    copies of each process (ChaosStack.copies), a process fault hits a seeded one of them."""
    rng = random.Random(seed)
    picks = random.Random(seed + 1)  # which copy: the kinds and times stay those of copies=1
    pool: list[tuple[str, str]] = []
    out = []
    if count <= 0:
        return []
    first, last = 10.0, max(seconds * 0.8, 11.0)
    step = (last - first) / count
    for n in range(count):
        if not pool:
            pool = list(kinds or KINDS)
            rng.shuffle(pool)
        kind, target = pool.pop()
        at = round(first + n * step + rng.uniform(0, step * 0.3), 1)
        member = f"{target}-{picks.randint(1, copies)}" if copies > 1 and kind != "outage" else ""
        out.append(Fault(at, kind, target, member))
    return out


class Injector:
    def __init__(self, stack: ChaosStack, services: dict[str, Service]) -> None:
        self.stack, self.services = stack, services

    async def run(self, faults: list[Fault], started: float, stop: asyncio.Event) -> None:
        """Each fault at its time, in a task of its own, so a slow recovery (Neo4j takes
        minutes to start on a loaded machine) holds back only faults on the same target;
        none starts once the load is over, and those under way finish."""
        locks: dict[str, asyncio.Lock] = {}
        running = []
        for fault in faults:
            delay = started + fault.at - time.monotonic()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=max(delay, 0))
            if stop.is_set():
                break
            lock = locks.setdefault(fault.target, asyncio.Lock())
            running.append(asyncio.create_task(self._one(fault, started, lock)))
        await asyncio.gather(*running)

    async def _one(self, fault: Fault, started: float, lock: asyncio.Lock) -> None:
        async with lock:
            fault.started = time.time()
            hit = fault.member or fault.target
            print(f"chaos: +{time.monotonic() - started:5.1f}s {fault.kind} {hit}",
                  flush=True)  # fmt: skip
            try:
                await self.inject(fault)
                fault.ended = time.time()
            except Exception as exc:  # reported: the run cannot vouch for what followed
                fault.error = f"{type(exc).__name__}: {exc}"[:300]
                print(f"chaos: {fault.kind} {hit} failed: {fault.error}", flush=True)

    async def inject(self, fault: Fault) -> None:
        if fault.kind == "outage":
            service = self.services[fault.target]
            await asyncio.to_thread(service.stop)
            await asyncio.sleep(OUTAGE_SECONDS)
            await asyncio.to_thread(service.start)
            return
        name = fault.member or fault.target
        managed = self.stack.processes[name]
        if fault.kind == "kill":
            managed.signal(signal.SIGKILL)
        elif fault.kind == "restart":
            managed.signal(signal.SIGTERM)
        elif fault.kind == "pause":
            managed.held = True
            managed.signal(signal.SIGSTOP)
            await asyncio.sleep(PAUSE_SECONDS)
            managed.signal(signal.SIGCONT)
            managed.held = False
        await asyncio.to_thread(self._wait_back, name)

    def _wait_back(self, name: str) -> None:
        # The supervisor restarts it; wait until it has died (a SIGTERM takes a moment) and
        # answers again.
        time.sleep(0.5)
        self.stack.wait_ready([name], timeout=RECOVERY_SECONDS)
