"""The soak's verdict (scaleout.verdict) and its /proc probes (scaleout.probe)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from dataclasses import replace

from scaleout import probe
from scaleout.soak import warmup_samples
from scaleout.verdict import Sample, failures, per_process, table


def sample(minute: float, rss: int = 100_000, redis: int = 10, pg: int = 8,
           subscribers: int = 50, errors: int = 0, deals_pg: int = 2,
           **rss_by: int) -> Sample:  # fmt: skip
    """A minute of a soak under load: 600 requests and 6,000 events a minute."""
    by_name = {"router-1": rss, "deals-1": rss, **rss_by}
    connections = {"router-1": {"postgres": 0, "redis": 0},
                   "deals-1": {"postgres": deals_pg, "redis": 3}}  # fmt: skip
    return Sample(minute=minute, rss_kb=by_name, sockets=dict.fromkeys(by_name, 5),
                  redis_clients=redis, postgres_backends=pg, subscribers=subscribers,
                  events=int(minute * 6000), requests=int(minute * 600), errors=errors,
                  connections=connections)  # fmt: skip


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


def test_one_process_connection_growth_fails_naming_it() -> None:
    # The totals stay (another run's backend left); the process's own connections grew.
    samples = [sample(0), sample(1), sample(2, deals_pg=3, pg=7)]
    assert failures(samples, warmup=1) == ["deals-1: postgres connections grew 2 -> 3"]


def test_a_load_that_did_not_hold_fails() -> None:
    # Flat memory says nothing when the subscribers left or the requests failed.
    dropped = [sample(0), sample(1), sample(2, subscribers=48), sample(3, subscribers=50)]
    assert failures(dropped, warmup=1) == ["subscribers dropped 50 -> 48 by minute 2"]
    idle = [sample(0), sample(1), replace(sample(2), events=6000, requests=600)]
    assert failures(idle, warmup=1) == [
        "no event delivered after warm-up",
        "no request answered after warm-up",
    ]
    # 1 % of the requests after warm-up may fail (a loaded machine's timeouts); more may not.
    assert failures([sample(0), sample(1), sample(3, errors=12)], warmup=1) == []
    assert failures([sample(0), sample(1), sample(3, errors=13)], warmup=1) == [
        "13 of 1200 requests after warm-up failed (over 1%)"
    ]


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


def test_connections_to_counts_the_process_tcp_connections_by_remote_port() -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        ports = {"postgres": port, "redis": 1}
        # Its own listening socket on the port is no connection to it.
        assert probe.connections_to(os.getpid(), ports) == {"postgres": 0, "redis": 0}
        with (
            socket.create_connection(("127.0.0.1", port)),
            socket.create_connection(("127.0.0.1", port)),
        ):
            accepted = [server.accept()[0] for _ in range(2)]
            # The two client ends go to the port; the accepted ends go from it.
            assert probe.connections_to(os.getpid(), ports) == {"postgres": 2, "redis": 0}
            for conn in accepted:
                conn.close()
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    assert probe.connections_to(gone.pid, {"postgres": 5432}) == {"postgres": 0}


def test_per_process_gives_baseline_end_growth_and_connections() -> None:
    samples = [sample(0, 50_000), sample(1), sample(2, deals_pg=3, **{"deals-1": 110_000})]
    rows = {row["process"]: row for row in per_process(samples, warmup=1)}
    assert rows["deals-1"] == {
        "process": "deals-1", "rss_kb_baseline": 100_000, "rss_kb_end": 110_000,
        "growth": 0.1, "connections_baseline": {"postgres": 2, "redis": 3},
        "connections_end": {"postgres": 3, "redis": 3},
    }  # fmt: skip
    assert rows["router-1"]["growth"] == 0.0
    assert per_process(samples[:1], warmup=1) == []
