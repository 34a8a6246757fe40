"""bench/chaos's pure parts: the fault schedule is seeded and covers every kind before any
twice (with copies, a process fault names one copy), a subscriber's miss is excused only
near a fault on the pub/sub path, and the report counts every check's lost and duplicated
and names checks that could not run."""

from __future__ import annotations

from bench.chaos.checker import EXCUSE, Check, _excused
from bench.chaos.faults import KINDS, Fault, schedule
from bench.chaos.load import Ledger, Op
from bench.chaos.report import build


def test_schedule_is_seeded_and_every_kind_comes_before_any_repeats() -> None:
    faults = schedule(300, len(KINDS) + 3, seed=5)
    assert [(f.at, f.kind, f.target) for f in faults] == [
        (f.at, f.kind, f.target) for f in schedule(300, len(KINDS) + 3, seed=5)
    ]
    assert {(f.kind, f.target) for f in faults[: len(KINDS)]} == set(KINDS)
    assert all(10 <= f.at <= 240 for f in faults)  # none in the last fifth: recovery is seen
    assert [f.at for f in faults] == sorted(f.at for f in faults)
    assert schedule(300, 0, seed=5) == []


def test_with_copies_a_process_fault_hits_one_copy_of_its_tier() -> None:
    one = schedule(300, 2 * len(KINDS), seed=5)
    two = schedule(300, 2 * len(KINDS), seed=5, copies=2)
    assert all(f.member == "" for f in one)
    assert [(f.kind, f.target) for f in two] == [(f.kind, f.target) for f in one]
    for fault in two:
        if fault.kind == "outage":
            assert fault.member == ""
        else:
            assert fault.member in (f"{fault.target}-1", f"{fault.target}-2")
    assert {f.member for f in two if f.target == "router"} == {"router-1", "router-2"}


def test_only_misses_near_a_pubsub_fault_are_excused() -> None:
    redis = Fault(10, "outage", "redis", started=1000.0, ended=1006.0)
    worker = Fault(20, "kill", "worker", started=2000.0, ended=2002.0)
    assert _excused(1003.0, [redis])
    assert _excused(1006.0 + EXCUSE - 1, [redis])
    assert not _excused(1006.0 + EXCUSE + 1, [redis])
    assert not _excused(998.0, [redis])
    # The outbox keeps events through a worker crash: a miss then is a loss.
    assert not _excused(2001.0, [worker])


def test_report_counts_lost_duplicated_and_unchecked() -> None:
    failed = Op("createContact", False, 1.0, 2.0, error="HTTP 502: bad gateway")
    ledger = Ledger(ops=[Op("createContact", True, 1.0, 2.0, id="a"), failed])
    checks = [
        Check("mutations_persisted", checked=1, lost=["createContact a"]),
        Check("automation_once", checked=2, duplicated=["deal d: 2 tasks"]),
        Check("neo4j_projection", error="ServiceUnavailable: down"),
    ]
    faults = [Fault(10, "kill", "router", started=5.0, ended=9.0),
              Fault(20, "outage", "neo4j", started=6.0, error="TimeoutError")]  # fmt: skip
    report = build(ledger, faults, checks, {})
    assert (report["lost"], report["duplicated"]) == (1, 1)
    assert report["unchecked"] == ["neo4j_projection"]
    assert report["unrecovered"] == ["outage neo4j"]
    assert report["faults_injected"] == 1
    assert report["operations"]["createContact"] == {"ok": 1, "error": 1}
    assert report["client_errors"] == {"createContact: HTTP 502": 1}
