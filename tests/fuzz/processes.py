"""The processes a fuzz run must leave alive and within bounded memory: the router fuzzed (a
child process, tests/fuzz/conftest.py) and the subgraphs with the REST shim (tests/stack.py
serves them in this process)."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.stack import Stack

#: How much a process's resident memory may rise during one fuzz test, peak over start. A
#: gzip bomb inflated, or a 10 MB body kept per request, passes it at once.
RSS_GROWTH_LIMIT = 256 * 1024 * 1024


@dataclass(frozen=True)
class FuzzedRouter:
    """One router process the fuzzers send to."""

    kind: str
    url: str
    pid: int
    #: The stack's own router: the subgraphs and the REST shim are fuzzed beside it only.
    own: bool
    #: The exit status, None while it runs.
    poll: Callable[[], int | None]


def rss(pid: int) -> int:
    """Resident set size in bytes, from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError(f"process {pid} has no VmRSS: it is gone")


def watched(router: FuzzedRouter) -> dict[str, int]:
    """Name -> pid of each process the fuzzers send to."""
    return {router.kind: router.pid, "subgraphs and REST shim": os.getpid()}


@contextmanager
def bounded_memory(router: FuzzedRouter, interval: float = 0.2) -> Iterator[dict[str, int]]:
    """Samples every watched process's RSS while inside; on exit, fails when one's peak rose
    more than RSS_GROWTH_LIMIT over its start. Yields the peaks (name -> bytes)."""
    pids = watched(router)
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


def assert_alive(stack: Stack, router: FuzzedRouter) -> None:
    """The router still runs and every server answers a plain request."""
    assert router.poll() is None, f"{router.kind} exited"
    body = stack.graphql("{ __typename }", url=router.url).json()
    assert body == {"data": {"__typename": "Query"}}, body
    for name in stack.ports:
        health = httpx.get(stack.subgraph_url(name).replace("/graphql", "/health"), timeout=30)
        assert health.status_code == 200, (name, health.text)
    assert httpx.get(f"{stack.rest_url}/health", timeout=30).status_code == 200
