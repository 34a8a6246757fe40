"""`make chaos`, short: its own stack on private PostgreSQL, Redis and Neo4j, a minute of
mixed load under a few real faults, and the checker's verdict from the data; once with one
process of each kind, once with two of each behind HAProxy (the scale-out layout, where a
fault hits one copy). Fails on any loss or duplicate, or when a fault could not be injected."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

TIMEOUT = 600  # seconds; about 4 minutes at a load average of 16 on 2 cores
ROOT = Path(__file__).resolve().parents[2]
# Cheap to undo on a loaded machine (no Neo4j restart): one of each family.
FAULTS = "kill:worker,kill:contacts,kill:router,outage:redis,outage:postgres"


@pytest.mark.timeout(TIMEOUT + 180)
@pytest.mark.parametrize("copies", [1, 2], ids=["one-of-each", "scale-out"])
def test_short_chaos_run_loses_and_duplicates_nothing(tmp_path: Path, copies: int) -> None:
    out = tmp_path / "report.json"
    command = [sys.executable, "-m", "bench.chaos", "--seconds", "60", "--faults", "5",
               "--kinds", FAULTS, "--copies", str(copies), "--report", str(out)]  # fmt: skip
    run = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True)  # fmt: skip
    try:
        stdout, stderr = run.communicate(timeout=TIMEOUT)
    finally:
        if run.poll() is None:  # SIGTERM: the run stops the stack and services it started
            run.terminate()
            stdout, stderr = run.communicate(timeout=120)
    assert out.exists(), stdout[-3000:] + stderr[-3000:]
    report = json.loads(out.read_text())
    assert report["faults_injected"] == 5, stdout[-3000:]
    assert report["copies"] == copies
    if copies > 1:  # each process fault hit one copy of its tier
        hit = [(f["target"], f["member"]) for f in report["faults"] if f["kind"] != "outage"]
        assert all(m in (f"{t}-1", f"{t}-2") for t, m in hit), hit
    assert report["unchecked"] == [], stdout[-3000:]
    assert (report["lost"], report["duplicated"]) == (0, 0), stdout[-5000:]
    assert run.returncode == 0, stdout[-3000:] + stderr[-3000:]
    # The load ran: every kind of operation succeeded some of the time.
    ops = report["operations"]
    for kind in ("createContact", "createDeal", "moveDealStage", "query:contacts"):
        assert ops[kind]["ok"] > 0, ops
    assert ops["zoho webhook"].get("2xx", 0) > 0, ops
    assert report["subscriptions"]["events_received"] > 0
