"""The soak's verdict over its samples (pure: no processes, no services).

Warm-up: the first `warmup` intervals of load (the runner picks a fifth of the run, at least
one interval, at most five minutes), while pools fill and caches (query plans, compiled
reads, the JIT) settle. The baseline is the sample taken when warm-up ends (samples[warmup];
samples[0] is taken as the load starts); the run fails when any process's memory at the end
is more than MEMORY_GROWTH above its baseline, Redis' clients or PostgreSQL's backends at the
end are more than at the baseline (in all, or any one process's connections to either), or
the load did not hold (flat memory under no load proves nothing): a subscriber dropped,
no event was delivered after warm-up, or more than MAX_ERRORS of the requests after warm-up
failed."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

MEMORY_GROWTH = 0.10
MAX_ERRORS = 0.01


@dataclass(frozen=True)
class Sample:
    """One interval's measures: per process (by member name) RSS in KiB and sockets."""

    minute: float
    rss_kb: dict[str, int]
    sockets: dict[str, int]
    redis_clients: int
    postgres_backends: int
    subscribers: int  # connected at the time
    events: int  # subscription messages received so far
    requests: int  # queries and mutations answered so far
    errors: int  # of those, answered with an error or not at all
    #: Per process: its TCP connections to PostgreSQL and to Redis ({"postgres": n, ...}).
    connections: dict[str, dict[str, int]] = field(default_factory=dict)

    def row(self) -> dict[str, Any]:
        return self.__dict__.copy()


def failures(samples: list[Sample], warmup: int) -> list[str]:
    """Why the run fails; empty when memory stayed flat and connections did not grow."""
    if len(samples) <= warmup + 1:
        return [f"only {len(samples)} samples: none after warm-up ({warmup} intervals)"]
    base, last = samples[warmup], samples[-1]
    found = []
    for name, before in base.rss_kb.items():
        after = last.rss_kb.get(name, 0)
        if after == 0:
            found.append(f"{name}: gone (no memory at the end)")
        elif before and after > before * (1 + MEMORY_GROWTH):
            found.append(f"{name}: memory {before} -> {after} KiB (+{after / before - 1:.0%})")
    if last.redis_clients > base.redis_clients:
        found.append(f"Redis clients grew {base.redis_clients} -> {last.redis_clients}")
    if last.postgres_backends > base.postgres_backends:
        found.append(
            f"PostgreSQL backends grew {base.postgres_backends} -> {last.postgres_backends}"
        )
    for name, held in base.connections.items():
        for service, before in held.items():
            after = last.connections.get(name, {}).get(service, 0)
            if after > before:
                found.append(f"{name}: {service} connections grew {before} -> {after}")
    return found + _load_failures(samples, base, last)


def _load_failures(samples: list[Sample], base: Sample, last: Sample) -> list[str]:
    """Why the load did not hold: memory that stays flat with no load is no verdict."""
    found = []
    dropped = [s for s in samples if s.subscribers < samples[0].subscribers]
    if dropped:
        found.append(f"subscribers dropped {samples[0].subscribers} -> "
                     f"{dropped[0].subscribers} by minute {dropped[0].minute:g}")  # fmt: skip
    if last.events <= base.events:
        found.append("no event delivered after warm-up")
    requests, errors = last.requests - base.requests, last.errors - base.errors
    if requests <= 0:
        found.append("no request answered after warm-up")
    elif errors > requests * MAX_ERRORS:
        found.append(f"{errors} of {requests} requests after warm-up failed "
                     f"(over {MAX_ERRORS:.0%})")  # fmt: skip
    return found


def per_process(samples: list[Sample], warmup: int) -> list[dict[str, Any]]:
    """Per process: RSS (KiB) at the baseline and at the end, its growth, and its
    connections to PostgreSQL and Redis at both (what README's Soak figures show)."""
    if len(samples) <= warmup:
        return []
    base, last = samples[warmup], samples[-1]
    rows = []
    for name, before in base.rss_kb.items():
        after = last.rss_kb.get(name, 0)
        rows.append({
            "process": name, "rss_kb_baseline": before, "rss_kb_end": after,
            "growth": round(after / before - 1, 4) if before else None,
            "connections_baseline": base.connections.get(name, {}),
            "connections_end": last.connections.get(name, {}),
        })  # fmt: skip
    return rows


def table(samples: list[Sample]) -> str:
    """Minute by minute: RSS (MiB) and sockets per process, then the shared counts."""
    names = list(samples[0].rss_kb) if samples else []
    head = ["min", *names, "redis", "pg", "subs", "events", "reqs", "errs"]
    lines = ["  ".join(f"{h:>10}" for h in head)]
    for s in samples:
        cells = [f"{s.minute:.1f}"]
        cells += [f"{s.rss_kb[n] / 1024:.0f}M/{s.sockets[n]}" for n in names]
        cells += [str(v) for v in (s.redis_clients, s.postgres_backends, s.subscribers,
                                   s.events, s.requests, s.errors)]  # fmt: skip
        lines.append("  ".join(f"{c:>10}" for c in cells))
    return "\n".join(lines)
