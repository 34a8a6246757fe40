"""bench/processes.only_running: while one target is measured the others are stopped, but a
process two groups share (the REST shim and the worker serve both routers) keeps running for
the group measured. It was stopped before, so Hive Router's caller lookups timed out."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

from processes import only_running


def stopped(pid: int) -> bool:
    """Whether the process is stopped, once a signal sent just now has been delivered."""
    deadline = time.monotonic() + 1
    while True:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        if state == "T" or time.monotonic() > deadline:
            return state == "T"
        time.sleep(0.05)


@pytest.fixture
def sleepers() -> Iterator[list[int]]:
    procs = [subprocess.Popen(["sleep", "30"]) for _ in range(3)]
    yield [p.pid for p in procs]
    for p in procs:
        p.kill()
        p.wait()


def test_a_process_shared_with_the_kept_group_keeps_running(sleepers: list[int]) -> None:
    router, native, shared = sleepers
    groups = {"router": [router, shared], "native": [native, shared]}
    with only_running(groups, {"native"}):
        assert stopped(router)
        assert not stopped(native)
        assert not stopped(shared)
