"""CPU per request of each process of a running stack (`run.py --hold`), for the tuning log.

For one operation and target, sends each request body once and keeps the answers (each
must be HTTP 200 with data and no errors), then runs wrk through graphql.lua, which checks
every answer against them, `--runs` times. Around each run it reads the processes' CPU
seconds (utime + stime from /proc, children included) and prints, per process, the CPU
milliseconds per correct answer, beside req/s, p50 and the load average before the run.
CPU per request is less disturbed by the other work on the machine than latency is.

    .venv/bin/python bench/cpu.py --operation deals_page_50 --target subgraph \
        --url http://127.0.0.1:24001/graphql --pids deals=123,deals2=124 --runs 3
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import httpx
from load import run_wrk, write_answers
from processes import cpu_seconds, wait_quiet

ROOT = Path(__file__).resolve().parent.parent
WORKDIR = ROOT / ".run" / "bench"


def answers(url: str, bodies: list[str], headers: dict[str, str]) -> list[bytes]:
    found = []
    with httpx.Client(timeout=30) as client:
        for body in bodies:
            response = client.post(url, content=body, headers=headers)
            data = response.json()
            if response.status_code != 200 or data.get("errors") or not data.get("data"):
                raise SystemExit(f"bad answer {response.status_code}: {response.text[:300]}")
            found.append(response.content)
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--operation", default="deal_by_id")
    parser.add_argument("--target", choices=("router", "subgraph"), default="subgraph")
    parser.add_argument("--url", required=True)
    parser.add_argument("--pids", required=True, help="name=pid[+pid...],... to measure")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--json", help="append each run's figures to this file, one line each")
    args = parser.parse_args()
    bodies_file = WORKDIR / f"{args.operation}-router.txt"
    bodies = bodies_file.read_text().splitlines()
    token = (WORKDIR / "token").read_text().strip()
    headers = {"authorization": f"Bearer {token}", "content-type": "application/json"}
    extra = {}
    if args.target == "subgraph":
        extra["x-router-secret"] = (WORKDIR / "router-secret").read_text().strip()
    answers_file = WORKDIR / f"cpu-{args.operation}-{args.target}.answers"
    write_answers(answers_file, answers(args.url, bodies, {**headers, **extra}))
    groups = {
        name: [int(p) for p in pids.split("+")]
        for name, pids in (item.split("=") for item in args.pids.split(","))
    }
    every = [pid for pids in groups.values() for pid in pids]
    for n in range(args.runs):
        wait_quiet(every)
        load = os.getloadavg()[0]
        before = {name: cpu_seconds(pids) for name, pids in groups.items()}
        run = run_wrk(args.url, bodies_file, answers_file, args.concurrency, args.seconds,
                      token, extra)  # fmt: skip
        after = {name: cpu_seconds(pids) for name, pids in groups.items()}
        if run.failures:
            print(f"run {n}: {run.failures} failures, first: {run.first_wrong}", file=sys.stderr)
            return 1
        cpu_ms = {name: round((after[name] - before[name]) * 1000 / run.correct, 3)
                  for name in groups}  # fmt: skip
        figures = {"operation": args.operation, "target": args.target,
                   "concurrency": args.concurrency, "load": load, "rps": round(run.rps, 1),
                   "p50_ms": run.p50_us / 1000, "correct": run.correct,
                   "cpu_ms_per_request": cpu_ms}  # fmt: skip
        print(json.dumps(figures), flush=True)
        if args.json:
            with open(args.json, "a") as out:
                out.write(json.dumps(figures) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
