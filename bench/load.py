"""One wrk run through bench/graphql.lua, with every answer checked.

`run_wrk` writes the answers file the Lua script compares against (line i: the hex of the
verified answer to body i) and returns the counts wrk's threads kept: correct answers, wrong
ones (another status, GraphQL errors, other data) and socket errors. Requests per second
count correct answers only.
"""

from __future__ import annotations

import json
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

SCRIPT = Path(__file__).resolve().parent / "graphql.lua"


@dataclass
class WrkRun:
    requests: int
    correct: int
    wrong: int
    socket_errors: int
    duration_us: int
    p50_us: int
    p95_us: int
    p99_us: int
    first_wrong: str
    # The share of the machine's CPU time the hypervisor gave to others during the run
    # (/proc/stat's steal), in percent: this machine is a VM, and a run with steal measured
    # less than the code can do (bench/README.md, noise).
    steal_pct: float = 0.0

    @property
    def rps(self) -> float:
        """Correct answers per second: a wrong or failed answer is not throughput."""
        return self.correct / (self.duration_us / 1e6) if self.duration_us else 0.0

    @property
    def failures(self) -> int:
        return self.wrong + self.socket_errors


def write_answers(path: Path, answers: list[bytes]) -> None:
    """Hex, one line each: an answer's bytes may hold anything, a newline included."""
    path.write_text("".join(answer.hex() + "\n" for answer in answers))


def run_wrk(
    url: str,
    body_file: Path,
    answers_file: Path,
    concurrency: int,
    seconds: float,
    token: str = "",
    headers: dict[str, str] | None = None,
) -> WrkRun:
    threads = min(2, concurrency)
    before = cpu_times()
    out = subprocess.run(
        [
            "wrk",
            f"-t{threads}",
            f"-c{concurrency}",
            f"-d{seconds}s",
            "--timeout",
            "10s",
            "-s",
            str(SCRIPT),
            url,
            "--",
            str(body_file),
            str(answers_file),
            token,
            str(threads),
            *(f"{name}: {value}" for name, value in (headers or {}).items()),
        ],
        capture_output=True,
        text=True,
        errors="replace",
    )
    if out.returncode != 0:  # say why: the script's error or wrk's is on its output
        raise RuntimeError(f"wrk exited {out.returncode}:\n{out.stdout}\n{out.stderr}")
    match = re.search(r"RESULT (\{.*\})", out.stdout)
    if not match:
        raise RuntimeError(f"wrk printed no result:\n{out.stdout}\n{out.stderr}")
    return WrkRun(**json.loads(match.group(1)), steal_pct=steal_pct(before, cpu_times()))


def cpu_times() -> list[int]:
    """The machine's CPU time so far by kind, in ticks (/proc/stat's `cpu` line: user, nice,
    system, idle, iowait, irq, softirq, steal, ...)."""
    with open("/proc/stat") as stat:
        return [int(n) for n in stat.readline().split()[1:]]


def steal_pct(before: list[int], after: list[int]) -> float:
    """Of the CPU time between two cpu_times(), the share stolen (index 7), in percent."""
    spent = [b - a for a, b in zip(before, after, strict=True)]
    total = sum(spent[:8])  # guest time is counted in user already
    return round(100 * spent[7] / total, 2) if total > 0 and len(spent) > 7 else 0.0
