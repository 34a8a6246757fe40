"""The processes a fuzz run must leave alive and within bounded memory: the router (a child
process) and the subgraphs with the REST shim (tests/stack.py serves them in this process)."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.stack import Stack

#: How much a process's resident memory may rise during one fuzz test, peak over start. A
#: gzip bomb inflated, or a 10 MB body kept per request, passes it at once.
RSS_GROWTH_LIMIT = 256 * 1024 * 1024


def rss(pid: int) -> int:
    """Resident set size in bytes, from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError(f"process {pid} has no VmRSS: it is gone")


def watched(stack: Stack) -> dict[str, int]:
    """Name -> pid of each process the fuzzers send to."""
    assert stack._router is not None
    return {"router": stack._router.pid, "subgraphs and REST shim": os.getpid()}


@contextmanager
def bounded_memory(stack: Stack, interval: float = 0.2) -> Iterator[dict[str, int]]:
    """Samples every watched process's RSS while inside; on exit, fails when one's peak rose
    more than RSS_GROWTH_LIMIT over its start. Yields the peaks (name -> bytes)."""
    pids = watched(stack)
    start = {name: rss(pid) for name, pid in pids.items()}
    peaks = dict(start)
    done = threading.Event()

    def sample() -> None:
        while not done.wait(interval):
            for name, pid in pids.items():
                peaks[name] = max(peaks[name], rss(pid))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        yield peaks
    finally:
        done.set()
        sampler.join()
    grown = {n: (peaks[n] - start[n]) // 2**20 for n in pids}
    grown = {n: mib for n, mib in grown.items() if mib > RSS_GROWTH_LIMIT // 2**20}
    assert not grown, f"resident memory grew by MiB {grown} (limit {RSS_GROWTH_LIMIT // 2**20})"


def assert_alive(stack: Stack) -> None:
    """The router still runs and every server answers a plain request."""
    assert stack._router is not None and stack._router.poll() is None, "the router exited"
    body = stack.graphql("{ __typename }").json()
    assert body == {"data": {"__typename": "Query"}}, body
    for name in stack.ports:
        health = httpx.get(stack.subgraph_url(name).replace("/graphql", "/health"), timeout=30)
        assert health.status_code == 200, (name, health.text)
    assert httpx.get(f"{stack.rest_url}/health", timeout=30).status_code == 200
