"""The speed goal of issue 16, judged from one run's results for each router measured
(`router`: Hive Gateway, `native`: Hive Router): deal by id and the 50-deal page at c=32 at
least PostGraphile's req/s with p95 under 50 ms; at c=128 no fewer req/s than at c=32 and no
error; router overhead (the router's p50 minus the subgraph's, deal by id at c=1) under 1 ms.
A criterion whose figures the run did not measure is left out, not passed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

ROUTERS = ("router", "native")
OPERATIONS = ("deal_by_id", "deals_page_50")
P95_MS = 50.0
OVERHEAD_MS = 1.0


class Measured(Protocol):
    operation: str
    target: str
    concurrency: int
    rps: float
    p50_ms: float
    p95_ms: float
    errors: int


@dataclass(frozen=True)
class Criterion:
    router: str
    what: str
    figure: str
    met: bool


def judge(results: list[Measured]) -> list[Criterion]:
    at = {(r.operation, r.target, r.concurrency): r for r in results}
    found = []
    for router in ROUTERS:
        for op in OPERATIONS:
            ours, peer = at.get((op, router, 32)), at.get((op, "postgraphile", 32))
            if ours is not None and peer is not None:
                ratio = ours.rps / peer.rps if peer.rps else 0.0
                found.append(Criterion(router, f"{op} c=32 req/s >= PostGraphile's",
                                       f"{ours.rps:.0f} / {peer.rps:.0f} = {ratio:.2f}x",
                                       ratio >= 1.0))  # fmt: skip
            if ours is not None:
                found.append(Criterion(router, f"{op} c=32 p95 < {P95_MS:.0f} ms",
                                       f"{ours.p95_ms} ms", ours.p95_ms < P95_MS))  # fmt: skip
            high = at.get((op, router, 128))
            if ours is not None and high is not None:
                found.append(Criterion(router, f"{op} c=128 req/s >= c=32's, no error",
                                       f"{high.rps:.0f} vs {ours.rps:.0f}, {high.errors} errors",
                                       high.rps >= ours.rps and high.errors == 0))  # fmt: skip
        one, direct = at.get(("deal_by_id", router, 1)), at.get(("deal_by_id", "subgraph", 1))
        if one is not None and direct is not None:
            overhead = one.p50_ms - direct.p50_ms
            found.append(Criterion(router, f"router overhead c=1 p50 < {OVERHEAD_MS:.0f} ms",
                                   f"{one.p50_ms} - {direct.p50_ms} = {overhead:.2f} ms",
                                   overhead < OVERHEAD_MS))  # fmt: skip
    return found


def markdown(results: list[Measured]) -> list[str]:
    criteria = judge(results)
    if not criteria:
        return []
    return [
        "",
        "Speed goal (issue 16; bench/goal.py):",
        "",
        "| router | criterion | figure | met |",
        "|---|---|---|---|",
        *(f"| {c.router} | {c.what} | {c.figure} | {'yes' if c.met else '**no**'} |"
          for c in criteria),
    ]  # fmt: skip
