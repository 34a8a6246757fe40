"""bench/run.py's results: one row per (operation, target, concurrency), the repetitions'
summary, and the files written from them (bench/results/<date>-<sha>[-dirty].json, .md,
.png) with what was measured: the commit, the machine, the Node binary, the processes of
each side, the warm-up, and every point that had a wrong answer or an error.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import goal
from load import WrkRun
from plot import plot
from processes import PG_DIR, node_version

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"


@dataclass
class Result:
    operation: str
    target: str
    concurrency: int
    rps: float  # correct answers per second
    p50_ms: float
    p95_ms: float
    p99_ms: float
    errors: int  # wrong answers + socket errors, summed over the repetitions
    sql_per_request: float | None
    requests: int = 0  # the repetitions' sums from here on
    correct: int = 0
    wrong: int = 0
    socket_errors: int = 0
    first_wrong: str = ""
    steal_pct: float = 0.0  # median of the repetitions' (load.WrkRun.steal_pct)


def summarize(
    operation: str, target: str, concurrency: int, runs: list[tuple[WrkRun, float]]
) -> Result:
    """Medians of the repetitions; the failure counts are sums: one bad run is a failure."""

    def med(values: list[float]) -> float:
        return round(statistics.median(values), 2)

    return Result(
        operation=operation,
        target=target,
        concurrency=concurrency,
        rps=med([r.rps for r, _ in runs]),
        p50_ms=med([r.p50_us / 1000 for r, _ in runs]),
        p95_ms=med([r.p95_us / 1000 for r, _ in runs]),
        p99_ms=med([r.p99_us / 1000 for r, _ in runs]),
        errors=sum(r.failures for r, _ in runs),
        sql_per_request=med([sql for _, sql in runs]),
        requests=sum(r.requests for r, _ in runs),
        correct=sum(r.correct for r, _ in runs),
        wrong=sum(r.wrong for r, _ in runs),
        socket_errors=sum(r.socket_errors for r, _ in runs),
        first_wrong=next((r.first_wrong for r, _ in runs if r.first_wrong), ""),
        steal_pct=med([r.steal_pct for r, _ in runs]),
    )


def failure(
    operation: str, target: str, phase: str, run: WrkRun | Result | Exception
) -> dict[str, Any]:
    """A point with wrong answers or errors, as the results file lists it; an exception:
    the target answered wrong before measuring (bench/answers.py), so it was not measured."""
    if isinstance(run, Exception):
        return {"operation": operation, "target": target, "phase": phase, "requests": 0,
                "wrong": 1, "socket_errors": 0, "first_wrong": str(run)[:1000]}  # fmt: skip
    return {
        "operation": operation,
        "target": target,
        "phase": phase,  # "answers", "warm-up" or "c=<concurrency>"
        "requests": run.requests,
        "wrong": run.wrong,
        "socket_errors": run.socket_errors,
        "first_wrong": run.first_wrong,
    }


def commit() -> dict[str, Any]:
    """The commit measured, read when the run starts: its sha and whether the work tree
    differed from it (then the figures are not that commit's alone)."""

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", *args], capture_output=True, text=True, cwd=ROOT
        ).stdout.strip()

    return {
        "sha": git("rev-parse", "HEAD") or "unknown",
        "dirty": bool(git("status", "--porcelain", "--untracked-files=no")),
    }


def machine() -> dict[str, Any]:
    return {
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "node": node_version(),  # router and PostGraphile both (processes.node)
        "wrk": _version("wrk", "-v"),
        "postgraphile": _package_version("postgraphile"),
    }


def write(
    results: list[Result], failures: list[dict[str, Any]], run: dict[str, Any], merge_into: str
) -> Path:
    """run: what was measured and how (commit, scale, processes, warm-up, ...)."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    sha = run["commit"]["sha"][:7] + ("-dirty" if run["commit"]["dirty"] else "")
    path = RESULTS / f"{datetime.now(UTC).strftime('%Y-%m-%d')}-{sha}.json"
    document: dict[str, Any] = {
        **run,
        "machine": machine(),
        "passed": not failures,
        "failures": failures,
        "results": [asdict(r) for r in results],
    }
    if merge_into:
        # A rerun of some operations replaces their rows in an earlier full run's file and
        # says so there; the file keeps its name (the earlier run's commit).
        path = Path(merge_into).resolve()
        earlier = json.loads(path.read_text())
        redone = {(r.operation, r.target, r.concurrency) for r in results}
        earlier["results"] = [
            r for r in earlier["results"]
            if (r["operation"], r["target"], r["concurrency"]) not in redone
        ] + document["results"]  # fmt: skip
        earlier.setdefault("reruns", []).append(
            {**{k: v for k, v in document.items() if k != "results"},
             "operations": sorted({r.operation for r in results})}
        )  # fmt: skip
        earlier["passed"] = earlier.get("passed", True) and not failures
        document = earlier
        results = [Result(**r) for r in earlier["results"]]
    path.write_text(json.dumps(document, indent=2) + "\n")
    lines = [] if document["passed"] else [_failed(document), ""]
    lines += [
        "| operation | target | concurrency | req/s | p50 ms | p95 ms | p99 ms | errors "
        "| SQL/req | steal % |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    lines += [
        f"| {r.operation} | {r.target} | {r.concurrency} | {r.rps:.0f} | {r.p50_ms} | "
        f"{r.p95_ms} | {r.p99_ms} | {r.errors} | {r.sql_per_request} | {r.steal_pct} |"
        for r in results
    ]
    lines += ratios(results)
    lines += goal.markdown(list(results))
    path.with_suffix(".md").write_text("\n".join(lines) + "\n")
    plot(path)
    print(f"bench: wrote {path.relative_to(ROOT)}, .md and .png", file=sys.stderr)
    return path


def _failed(document: dict[str, Any]) -> str:
    points = document.get("failures") or [
        f for rerun in document.get("reruns", []) for f in rerun.get("failures", [])
    ]
    named = "; ".join(
        f"{f['operation']} {f['target']} {f['phase']}: {f['wrong']} wrong, "
        f"{f['socket_errors']} socket errors"
        for f in points
    )
    return f"**FAILED**: wrong answers or errors, so these figures do not count. {named}"


def ratios(results: list[Result]) -> list[str]:
    """Markdown: ours/theirs req/s per operation and concurrency, against (c) PostGraphile
    and (d) the SQL floor. Above 1 we are faster; 0.5 means half their throughput."""
    rps = {(r.operation, r.target, r.concurrency): r.rps for r in results}
    rows = []
    for operation, target, concurrency in rps:
        if target not in ("router", "native", "subgraph"):
            continue
        cells = []
        for peer in ("postgraphile", "sql"):
            theirs = rps.get((operation, peer, concurrency))
            ours = rps[(operation, target, concurrency)]
            cells.append(f"{ours / theirs:.2f}" if theirs else "n/a")
        if any(c != "n/a" for c in cells):
            rows.append(f"| {operation} | {target} | {concurrency} | {cells[0]} | {cells[1]} |")
    if not rows:
        return []
    return [
        "",
        "Ours/theirs req/s (above 1: ours is faster):",
        "",
        "| operation | ours | concurrency | (c) vs postgraphile | (d) vs sql |",
        "|---|---|---|---|---|",
        *rows,
    ]


def _version(*command: str) -> str:
    try:
        out = subprocess.run(
            list(command) + (["--version"] if len(command) == 1 else []),
            capture_output=True,
            text=True,
            timeout=10,
        )
    except OSError:
        return "missing"
    return (out.stdout or out.stderr).strip().splitlines()[0] if (out.stdout or out.stderr) else ""


def _package_version(name: str) -> str:
    found = PG_DIR / "node_modules" / name / "package.json"
    return str(json.loads(found.read_text())["version"]) if found.exists() else "missing"
