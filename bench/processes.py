"""The benchmark's processes: which Node runs them, and which of them may run while a target
is measured.

Only the processes that serve the target being measured run; the others (our stack while a
peer is measured, the peers while ours is) are stopped with SIGSTOP, children included (Hive
Gateway's and PostGraphile's cluster workers, uvicorn's workers), and continued afterwards.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

PG_DIR = Path(__file__).resolve().parent / "postgraphile"


def node() -> Path:
    """Node 22 from the npm package `node` pinned in bench/postgraphile: PostGraphile 5 needs
    it, and Hive Gateway runs on the same binary so that both peers' runtimes are equal."""
    binary = PG_DIR / "node_modules" / "node" / "bin" / "node"
    cli = PG_DIR / "node_modules" / "postgraphile" / "dist" / "cli-run.js"
    if not (binary.exists() and cli.exists()):
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=PG_DIR, check=True)
    return binary


def node_version() -> str:
    return subprocess.run(
        [str(node()), "--version"], capture_output=True, text=True, check=True
    ).stdout.strip()


def tree(pid: int) -> list[int]:
    """pid and all its descendants, parents first."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])  # the name may hold spaces
        children.setdefault(parent, []).append(int(entry.name))
    found, queue = [], [pid]
    while queue:
        current = queue.pop(0)
        found.append(current)
        queue.extend(children.get(current, []))
    return found


def _signal(pids: Iterable[int], sig: signal.Signals) -> None:
    for pid in pids:
        with suppress(ProcessLookupError):
            os.kill(pid, sig)


@contextmanager
def only_running(groups: dict[str, list[int]], keep: Iterable[str]) -> Iterator[None]:
    """Stop every group's processes (with their children) but those of `keep`; continue
    them on exit."""
    keep = set(keep)
    # A process may belong to several groups (the REST shim and the worker serve both
    # routers): one that a kept group needs keeps running.
    kept = {pid for name, pids in groups.items() if name in keep for p in pids
            for pid in tree(p)}  # fmt: skip
    stopped = [pid for name, pids in groups.items() if name not in keep for p in pids
               for pid in tree(p) if pid not in kept]  # fmt: skip
    _signal(stopped, signal.SIGSTOP)
    try:
        yield
    finally:
        _signal(stopped, signal.SIGCONT)


def cpu_rate(pids: Iterable[int], window: float = 0.5) -> float:
    """Cores the processes (children included) use now, over `window` seconds."""
    roots = list(pids)
    before = cpu_seconds(roots)
    time.sleep(window)
    return (cpu_seconds(roots) - before) / window


def wait_quiet(
    pids: Iterable[int], idle: float = 0.0, window: float = 0.5, timeout: float = 30
) -> bool:
    """Until the processes (children included) use under 5 % of a core more than `idle`,
    what they used before the run (their own background work: relays, due-task scans):
    wrk leaves requests in flight when it stops, and they still run. Without the wait they
    would eat into the next run, or finish a move after the stages were reset (a CONFLICT
    in the next run), or be stopped half done with a peer."""
    roots = list(pids)
    deadline = time.monotonic() + timeout
    before = cpu_seconds(roots)
    while time.monotonic() < deadline:
        time.sleep(window)
        now = cpu_seconds(roots)
        if now - before < (idle + 0.05) * window:
            return True
        before = now
    return False


def cpu_seconds(roots: list[int]) -> float:
    """CPU seconds (user + system) used so far by the processes and their children."""
    ticks = 0
    for pid in (p for root in roots for p in tree(root)):
        try:
            fields = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def terminate(procs: Iterable[subprocess.Popen[bytes]]) -> None:
    """SIGTERM each process (continued first: a stopped one would not act on it), wait, then
    SIGKILL whatever of it or its children is left."""
    procs = list(procs)
    trees = {proc.pid: [(pid, _started(pid)) for pid in tree(proc.pid)] for proc in procs}
    for proc in procs:
        _signal((pid for pid, _ in trees[proc.pid]), signal.SIGCONT)
        proc.send_signal(signal.SIGTERM)
    for proc in procs:
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        # Children left behind, only while their pid is still the same process.
        _signal((p for p, start in trees[proc.pid][1:] if _started(p) == start), signal.SIGKILL)


def _started(pid: int) -> str:
    """The process's start time (field 22 of /proc/pid/stat): tells a pid's reuse apart."""
    try:
        return (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return ""
