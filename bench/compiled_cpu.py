"""CPU per request and req/s of the deals subgraph alone, compiled reads (crmgraph.compiled)
on and off: one deals process on the bench data set at a small scale, wrk at one
concurrency for some seconds per operation and mode; CPU is the process's utime + stime
from /proc over the wrk run, divided by the requests wrk completed. Before measuring, every
body is sent to both modes and the answers must be the same bytes.

    .venv/bin/python bench/compiled_cpu.py --scale 0.05 --seconds 10 --concurrency 8
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from run import (
    DEV_JWT_SECRET,
    ROOT,
    ROUTER_SECRET,
    ROUTER_SECRET_HEADER,
    TENANT,
    bodies,
    prepare,
    settings_for,
)

from crmgraph.auth.tokens import issue_token

PORT = 24950
TICKS = os.sysconf("SC_CLK_TCK")
LUA = """
local bodies = {%s}
local i = 0
request = function()
  i = i %% #bodies + 1
  return wrk.format("POST", "/graphql", nil, bodies[i])
end
"""


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime


def start(settings: Any, compiled: bool, logs: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DATABASE_URL": settings.database_url,
        "JWT_SECRET": DEV_JWT_SECRET,
        "CRMGRAPH_ROUTER_SECRET": ROUTER_SECRET,
        "COMPILED_READS": "true" if compiled else "false",
        "CONSUMERS_IN_PROCESS": "false",
    }
    env.pop("NEO4J_URI", None)
    command = [sys.executable, "-m", "crmgraph.cli", "serve", "deals", "--port", str(PORT)]
    log = (logs / f"deals-{'compiled' if compiled else 'resolvers'}.log").open("wb")
    proc = subprocess.Popen(command, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    for _ in range(120):
        try:
            if httpx.get(f"http://127.0.0.1:{PORT}/health", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    proc.kill()
    raise SystemExit("deals did not start")


def answers(sent: list[str], headers: dict[str, str]) -> list[bytes]:
    url = f"http://127.0.0.1:{PORT}/graphql"
    return [httpx.post(url, content=b, headers=headers, timeout=30).content for b in sent]


def wrk(pid: int, sent: list[str], headers: dict[str, str], c: int, s: int) -> dict[str, float]:
    quoted = ",".join("[==[" + b + "]==]" for b in sent)
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(LUA % quoted)
    flags = [arg for k, v in headers.items() for arg in ("-H", f"{k}: {v}")]
    before = cpu_seconds(pid)
    out = subprocess.run(
        ["wrk", "-t2", f"-c{c}", f"-d{s}s", "--latency", "-s", script.name, *flags,
         f"http://127.0.0.1:{PORT}"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    cpu = cpu_seconds(pid) - before
    done = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    p50 = re.search(r"50%\s+(\S+)", out).group(1)  # type: ignore[union-attr]
    return {"requests": done, "rps": done / s, "cpu_ms": 1000 * cpu / max(done, 1),
            "p50": p50, "non2xx": int(bad.group(1)) if bad else 0}  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=float, default=0.05)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--reuse", action="store_true", help="keep the database of a last run")
    args = parser.parse_args()
    settings = settings_for("crmgraph_bench_compiled")
    ids_file = ROOT / ".run" / "bench" / "compiled-ids.json"
    ids_file.parent.mkdir(parents=True, exist_ok=True)
    if args.reuse and ids_file.exists():
        ids = json.loads(ids_file.read_text())
    else:
        ids = asyncio.run(prepare(settings, os.environ["DATABASE_URL"], args.scale))
        ids_file.write_text(json.dumps(ids))
    token = issue_token(settings, tenant_id=TENANT, subject="bench", roles=("tenant_admin",))
    headers = {ROUTER_SECRET_HEADER: ROUTER_SECRET, "authorization": f"Bearer {token}",
               "content-type": "application/json"}  # fmt: skip
    operations = {"deal_by_id": bodies("deal_by_id", ids)[:100],
                  "deals_page_50": bodies("deals_page_50", ids)}  # fmt: skip
    seen: dict[str, list[bytes]] = {}
    rows = []
    logs = ROOT / ".run" / "bench" / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    for compiled in (True, False):
        proc = start(settings, compiled, logs)
        try:
            for name, sent in operations.items():
                got = answers(sent, headers)
                assert all(b'"errors"' not in g for g in got), got[0][:300]
                if name in seen and seen[name] != got:
                    raise SystemExit(f"{name}: the two paths answer differently")
                seen[name] = got
                wrk(proc.pid, sent, headers, args.concurrency, 2)  # warm-up
                load = Path("/proc/loadavg").read_text().split()[0]
                result = wrk(proc.pid, sent, headers, args.concurrency, args.seconds)
                rows.append((name, "compiled" if compiled else "resolvers", load, result))
        finally:
            proc.terminate()
            proc.wait(10)
    print("| operation | path | load (1 min) before | req/s | CPU ms/request | p50 |"
          " non-2xx |\n|---|---|---|---|---|---|---|")  # fmt: skip
    for name, path, load, r in rows:
        print(f"| {name} | {path} | {load} | {r['rps']:.0f} | {r['cpu_ms']:.2f} | {r['p50']} |"
              f" {r['non2xx']} |")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
