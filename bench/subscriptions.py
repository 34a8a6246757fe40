"""Subscription fan-out: N WebSocket subscribers through the router (one token each, as N
users), each subscribed to dealStageChanged(pipelineId); moveDealStage runs M times and every
subscriber's receipt is timed against the event's own timestamp (written in the committing
transaction, same machine clock). Reports p50/p99 delivery latency, deliveries missed, and the
resident memory the router and the deals subgraph gain per subscriber.

    .venv/bin/python bench/subscriptions.py --subscribers 1000 --events 20
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import websockets

sys.path.insert(0, str(Path(__file__).resolve().parent))
from processes import node_version
from report import RESULTS, commit
from run import PIDS, ROOT, TENANT, parse_workers, prepare, settings_for, stack

from crmgraph.auth.tokens import issue_token

SUBSCRIPTION = """subscription($p: ID!) { dealStageChanged(pipelineId: $p) {
  deal { id title } newStage timestamp } }"""
MOVE = "mutation($d: ID!, $s: ID!) { moveDealStage(dealId: $d, stageId: $s) { deal { id } } }"


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure_processes(read: Callable[[int], float]) -> dict[str, float]:
    """read(pid) summed over the router's and the deals subgraph's processes (all of its
    workers: deals, deals2, ...)."""
    found = {"router": 0.0, "deals": 0.0}
    for name, pid in PIDS.items():
        base = name.rstrip("0123456789")
        if base in found:
            found[base] += sum(read(p) for p in [pid, *descendants(pid)])
    return found


def descendants(pid: int) -> list[int]:
    """Child processes, recursively (Hive Gateway's workers when it forks)."""
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            found += [int(child), *descendants(int(child))]
    return found


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def subscriber(url: str, token: str, pipeline: str, ready: asyncio.Event,
                     received: list[float], stop: asyncio.Event) -> None:  # fmt: skip
    async with websockets.connect(url, subprotocols=["graphql-transport-ws"],  # type: ignore[list-item]
                                  max_queue=None, open_timeout=60) as ws:  # fmt: skip
        await ws.send(json.dumps({"type": "connection_init",
                                  "payload": {"authorization": f"Bearer {token}"}}))  # fmt: skip
        while json.loads(await ws.recv())["type"] != "connection_ack":
            pass
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {
            "query": SUBSCRIPTION, "variables": {"p": pipeline}}}))  # fmt: skip
        ready.set()
        while not stop.is_set():
            try:
                raw = await asyncio.wait_for(ws.recv(), timeout=0.5)
            except TimeoutError:
                continue
            message = json.loads(raw)
            if message["type"] == "ping":
                await ws.send(json.dumps({"type": "pong"}))
            elif message["type"] == "next":
                data = message["payload"].get("data") or {}
                change = data.get("dealStageChanged")
                if change:
                    sent = datetime.fromisoformat(change["timestamp"]).timestamp()
                    received.append((time.time() - sent) * 1000)


class PythonClient:
    """n subscribers in this process (websockets): simple, but it spends about 0.11 ms of
    CPU per delivery on the cores the system under test uses."""

    def __init__(self, url: str, pipeline: str) -> None:
        self.url, self.pipeline = url, pipeline
        self.received: list[float] = []
        self.stop_event = asyncio.Event()
        self.tasks: list[asyncio.Task[None]] = []
        self.pid = os.getpid()

    async def start(self, tokens: list[str]) -> None:
        readies = [asyncio.Event() for _ in tokens]
        for i, token in enumerate(tokens):
            listen = subscriber(
                self.url, token, self.pipeline, readies[i], self.received, self.stop_event
            )
            self.tasks.append(asyncio.create_task(listen))
            if i % 50 == 49:
                await asyncio.sleep(0.05)  # do not stampede the router's accept queue
        await asyncio.wait_for(asyncio.gather(*(r.wait() for r in readies)), timeout=300)

    async def stop(self) -> list[float]:
        self.stop_event.set()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        return self.received


class GoClient:
    """n subscribers in bench/fanout (Go, gorilla/websocket), built on first use."""

    def __init__(self, url: str, pipeline: str) -> None:
        self.url, self.pipeline = url, pipeline
        self.process: asyncio.subprocess.Process | None = None
        self.pid = 0

    async def start(self, tokens: list[str]) -> None:
        binary = ROOT / ".run" / "bench" / "fanout"
        build = await asyncio.create_subprocess_exec(
            "go", "build", "-o", str(binary), ".", cwd=ROOT / "bench" / "fanout"
        )
        if await build.wait() != 0:
            raise RuntimeError("go build of bench/fanout failed")
        token_file = ROOT / ".run" / "bench" / "fanout-tokens.txt"
        token_file.write_text("\n".join(tokens) + "\n")
        self.process = await asyncio.create_subprocess_exec(
            str(binary), "-url", self.url, "-tokens", str(token_file), "-query", SUBSCRIPTION,
            "-variables", json.dumps({"p": self.pipeline}),
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        )  # fmt: skip
        self.pid = self.process.pid
        assert self.process.stdout is not None
        line = await asyncio.wait_for(self.process.stdout.readline(), timeout=300)
        if not line.startswith(b"READY"):
            raise RuntimeError(f"fanout client: {line!r}")
        if int(line.split()[1]) != len(tokens):
            raise RuntimeError(f"fanout client: only {line.decode().strip()} of {len(tokens)}")

    async def stop(self) -> list[float]:
        assert self.process is not None and self.process.stdin and self.process.stdout
        self.process.stdin.close()
        # One JSON line of 20,000 numbers: read to the end (readline stops at 64 KB).
        out = json.loads(await asyncio.wait_for(self.process.stdout.read(), timeout=60))
        await self.process.wait()
        if out["errors"]:
            raise RuntimeError(f"fanout client: {out['errors']} errors")
        return [float(v) for v in out["latencies_ms"] or []]


async def measure(urls: dict[str, str], settings: Any, ids: dict[str, Any], n: int, m: int,
                  client_kind: str = "go", used: set[str] | None = None,
                  ) -> dict[str, Any]:  # fmt: skip
    """One run: n fresh subscribers, m events; deals in `used` are not moved again (a
    repeated move would be a CONFLICT), and the ones moved now are added to it."""
    ws_url = urls["router"].replace("http://", "ws://")
    moves = [pair.split() for pair in ids["moves"]]
    pipeline = ids["pipeline_of"][moves[0][0]]
    moves = [(d, s) for d, s in moves if ids["pipeline_of"][d] == pipeline]
    before = measure_processes(rss_mb)
    tokens = [
        issue_token(settings, tenant_id=TENANT, subject=f"user-{i}", roles=("sales_rep",))
        for i in range(n)
    ]
    subscribers = (GoClient if client_kind == "go" else PythonClient)(ws_url, pipeline)
    await subscribers.start(tokens)
    await asyncio.sleep(2)  # let upstream subscriptions settle
    after = measure_processes(rss_mb)
    admin = issue_token(settings, tenant_id=TENANT, subject="bench", roles=("tenant_admin",))
    used = set() if used is None else used
    cpu_before = {"client": cpu_seconds(subscribers.pid), **measure_processes(cpu_seconds)}
    async with httpx.AsyncClient(
        headers={"authorization": f"Bearer {admin}"}, timeout=120
    ) as client:
        sent = 0
        for deal, stage in moves:
            if deal in used:
                continue
            used.add(deal)
            body = {"query": MOVE, "variables": {"d": deal, "s": stage}}
            response = await client.post(urls["router"], json=body)
            if "errors" not in response.json():
                sent += 1
                await asyncio.sleep(1.0)
            if sent == m:
                break
    await asyncio.sleep(3)
    cpu_after = {"client": cpu_seconds(subscribers.pid), **measure_processes(cpu_seconds)}
    cpu = {name: cpu_after[name] - cpu_before[name] for name in cpu_before}
    latencies = sorted(await subscribers.stop())

    def pct(p: float) -> float:
        return round(latencies[min(len(latencies) - 1, int(p / 100 * len(latencies)))], 1)

    return {
        "subscribers": n,
        "client": client_kind,
        "events": sent,
        "deliveries": len(latencies),
        "missed": sent * n - len(latencies),
        "p50_ms": pct(50) if latencies else None,
        "p99_ms": pct(99) if latencies else None,
        "mean_ms": round(statistics.fmean(latencies), 1) if latencies else None,
        "rss_mb_before": before,
        "rss_mb_after": after,
        "kb_per_subscriber": {k: round((after[k] - before[k]) * 1024 / n, 1) for k in before},
        # Where the time goes: CPU per delivered message while the events flowed (the load
        # client is a process on the same two cores).
        "cpu_ms_per_delivery": {
            k: round(1000 * v / max(1, len(latencies)), 3) for k, v in cpu.items()
        },
    }


def summary(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Medians over the runs (each run kept under "runs")."""

    def median(key: str) -> float | None:
        values = [r[key] for r in runs if r[key] is not None]
        return round(statistics.median(values), 1) if values else None

    def median_of(key: str) -> dict[str, float]:
        return {
            name: round(statistics.median(r[key][name] for r in runs), 3) for name in runs[0][key]
        }

    return {
        "subscribers": runs[0]["subscribers"],
        "client": runs[0]["client"],
        "repetitions": len(runs),
        "events": sum(r["events"] for r in runs),
        "deliveries": sum(r["deliveries"] for r in runs),
        "missed": sum(r["missed"] for r in runs),
        "p50_ms": median("p50_ms"),
        "p99_ms": median("p99_ms"),
        # The first run's: later runs start with memory the earlier subscribers left behind
        # (not returned to the system), so their growth understates.
        "kb_per_subscriber": runs[0]["kb_per_subscriber"],
        "cpu_ms_per_delivery": median_of("cpu_ms_per_delivery"),
        "runs": runs,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--subscribers", type=int, default=1000)
    parser.add_argument("--events", type=int, default=20)
    parser.add_argument("--scale", type=float, default=0.01)
    parser.add_argument("--repetitions", type=int, default=3, help="runs; medians reported")
    parser.add_argument(
        "--client",
        choices=("go", "python"),
        default="go",
        help="the subscribers: bench/fanout (Go, default) or this process (websockets)",
    )
    parser.add_argument(
        "--workers",
        default=os.environ.get("BENCH_FANOUT_WORKERS", "deals=2,router=2"),
        help="processes per subgraph where more than one, as for bench/run.py; router=N "
        "forks Hive Gateway into N workers (it relays every message on one thread otherwise)",
    )
    args = parser.parse_args()
    workers = parse_workers(args.workers)
    settings = settings_for("crmgraph_bench")
    ids = asyncio.run(prepare(settings, os.environ["DATABASE_URL"], args.scale))
    used: set[str] = set()
    measured = commit()  # before anything is written into the tree
    with stack(settings, ROOT / ".run" / "bench", workers=workers) as urls:
        runs = [
            asyncio.run(
                measure(urls, settings, ids, args.subscribers, args.events, args.client, used)
            )
            for _ in range(args.repetitions)
        ]
    result = summary(runs)
    print(json.dumps(result, indent=2))
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y-%m-%d")
    sha = measured["sha"][:7] + ("-dirty" if measured["dirty"] else "")
    result["commit"] = measured
    result["machine"] = {"cores": os.cpu_count(), "note": "load client on the same machine",
                         "node": node_version()}  # fmt: skip
    result["workers"] = workers
    path = RESULTS / f"{stamp}-{sha}-subscriptions.json"
    path.write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
