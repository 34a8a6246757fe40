"""The soak's verdict (scaleout.verdict) and its /proc probes (scaleout.probe)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

from scaleout import probe
from scaleout.soak import warmup_samples
from scaleout.verdict import Sample, failures, table


def sample(minute: float, rss: int = 100_000, redis: int = 10, pg: int = 8,
           **rss_by: int) -> Sample:  # fmt: skip
    by_name = {"router-1": rss, "deals-1": rss, **rss_by}
    return Sample(minute=minute, rss_kb=by_name, sockets=dict.fromkeys(by_name, 5),
                  redis_clients=redis, postgres_backends=pg, subscribers=50, events=0,
                  requests=0, errors=0)  # fmt: skip


def test_flat_memory_and_connections_pass() -> None:
    # Growth during warm-up (minute 0 to 1) does not count; +9 % after it is flat enough.
    samples = [sample(0, 50_000), sample(1), sample(2, 105_000), sample(3, 109_000)]
    assert failures(samples, warmup=1) == []
    assert "router-1" in table(samples)


def test_memory_growth_over_ten_percent_after_warmup_fails_naming_the_process() -> None:
    samples = [sample(0), sample(1), sample(2), sample(3, **{"deals-1": 111_000})]
    assert failures(samples, warmup=1) == ["deals-1: memory 100000 -> 111000 KiB (+11%)"]


def test_a_process_gone_fails() -> None:
    samples = [sample(0), sample(1), sample(2, **{"router-1": 0})]
    assert failures(samples, warmup=1) == ["router-1: gone (no memory at the end)"]


def test_redis_or_postgres_connection_growth_fails() -> None:
    assert failures([sample(0), sample(1), sample(2, redis=11)], warmup=1) == [
        "Redis clients grew 10 -> 11"
    ]
    assert failures([sample(0), sample(1), sample(2, pg=9)], warmup=1) == [
        "PostgreSQL backends grew 8 -> 9"
    ]
    assert failures([sample(0), sample(1), sample(2, redis=9, pg=7)], warmup=1) == []


def test_a_run_with_nothing_after_warmup_fails() -> None:
    assert failures([sample(0), sample(1)], warmup=1) == [
        "only 2 samples: none after warm-up (1 intervals)"
    ]


def test_warmup_is_a_fifth_of_the_run_between_one_interval_and_five_minutes() -> None:
    assert warmup_samples(30, 60) == 5
    assert warmup_samples(10, 60) == 2
    assert warmup_samples(3, 60) == 1
    assert warmup_samples(120, 60) == 5


def test_probes_read_memory_and_sockets_from_proc() -> None:
    before = probe.open_sockets(os.getpid())
    with socket.socket() as one, socket.socket() as two:
        one.bind(("127.0.0.1", 0))
        two.bind(("127.0.0.1", 0))
        assert probe.open_sockets(os.getpid()) == before + 2
    assert probe.rss_kb(os.getpid()) > 10_000
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    assert probe.rss_kb(gone.pid) == 0 and probe.open_sockets(gone.pid) == 0
