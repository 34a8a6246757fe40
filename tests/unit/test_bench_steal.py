"""bench/load.steal_pct: the share of the machine's CPU time the hypervisor took for others
during a wrk run, from two readings of /proc/stat's `cpu` line."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

from load import cpu_times, steal_pct


def test_steal_is_its_share_of_the_time_spent_between_readings() -> None:
    # user nice system idle iowait irq softirq steal guest guest_nice
    before = [100, 0, 50, 800, 0, 0, 0, 50, 30, 0]
    after = [250, 0, 100, 1000, 0, 0, 0, 100, 90, 0]  # 450 ticks spent, 50 of them stolen
    assert steal_pct(before, after) == 11.11


def test_no_time_spent_is_no_steal() -> None:
    reading = [1, 2, 3, 4, 5, 6, 7, 8]
    assert steal_pct(reading, reading) == 0.0


def test_this_machine_reports_at_least_the_eight_first_kinds() -> None:
    first, second = cpu_times(), cpu_times()
    assert len(first) >= 8 and all(b >= a for a, b in zip(first, second, strict=True))
