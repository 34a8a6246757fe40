"""The chaos report: operations by kind, faults injected, errors clients saw, and each
check's lost and duplicated; as text (printed) and JSON (.run/chaos/report.json)."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.chaos.checker import Check
from bench.chaos.faults import Fault
from bench.chaos.load import Ledger


def _error_kind(error: str) -> str:
    """An error's class without its ids: 'HTTP 502', 'ReadTimeout', a GraphQL code."""
    if error.startswith("HTTP "):
        return error.split(":", 1)[0]
    if error.startswith("["):
        try:
            first = json.loads(error)[0]
            code = (first.get("extensions") or {}).get("code")
            return f"graphql {code or first.get('message', '')[:60]}"
        except (ValueError, IndexError, AttributeError, TypeError):
            return "graphql (truncated)"
    return error.split(":", 1)[0]


def build(
    ledger: Ledger, faults: Sequence[Fault], checks: Sequence[Check], meta: dict[str, Any]
) -> dict[str, Any]:
    ops: dict[str, dict[str, int]] = {}
    for op in ledger.ops:
        row = ops.setdefault(op.kind, {"ok": 0, "error": 0})
        row["ok" if op.ok else "error"] += 1
    zoho = Counter(
        "2xx" if z.status and 200 <= z.status < 300 else str(z.status or z.error)
        for z in ledger.zoho
    )
    ops["zoho webhook"] = dict(zoho)
    errors = Counter(f"{o.kind}: {_error_kind(o.error)}" for o in ledger.ops if o.error)
    sessions = ledger.sessions
    return {
        **meta,
        "operations": ops,
        "subscriptions": {
            "sessions": len(sessions),
            "cut": sum(s.error is not None for s in sessions),
            "events_received": sum(len(s.received) for s in sessions),
        },
        "faults": [f.as_json() for f in faults],
        "faults_injected": sum(f.error is None and bool(f.started) for f in faults),
        "client_errors": dict(errors.most_common()),
        "checks": [c.as_json() for c in checks],
        "lost": sum(len(c.lost) for c in checks),
        "unchecked": [c.name for c in checks if c.error is not None],
        "unrecovered": [f"{f.kind} {f.member or f.target}" for f in faults if f.error is not None],
        "duplicated": sum(len(c.duplicated) for c in checks),
    }


def text(report: dict[str, Any]) -> str:
    lines = [
        f"chaos run: {report['seconds']} s, seed {report['seed']}, "
        f"{report.get('copies', 1)} of each process, commit "
        f"{report['commit']}, load before: {report['load_before']}",
        "",
        "operations:",
    ]
    for kind, counts in report["operations"].items():
        lines.append(f"  {kind:<20} " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    subs = report["subscriptions"]
    lines.append(
        f"  {'subscriptions':<20} sessions {subs['sessions']}, cut {subs['cut']}, "
        f"events received {subs['events_received']}"
    )
    lines += ["", f"faults injected: {report['faults_injected']} of {len(report['faults'])}"]
    for f in report["faults"]:
        took = f"{f['ended'] - f['started']:.1f} s" if f["ended"] else f"FAILED {f['error']}"
        if not f["started"]:
            took = "not reached"
        hit = f.get("member") or f["target"]
        lines.append(f"  +{f['at']:6.1f}s {f['kind']:<8} {hit:<12} back after {took}")
    lines += ["", "errors seen by clients:"]
    lines += [f"  {n:6d}  {what}" for what, n in report["client_errors"].items()] or ["  none"]
    lines += ["", "checks:"]
    for c in report["checks"]:
        extra = {
            k: v
            for k, v in c.items()
            if k
            not in {
                "name",
                "checked",
                "lost",
                "duplicated",
                "error",
                "lost_examples",
                "duplicated_examples",
            }
        }
        lines.append(
            f"  {c['name']:<22} checked {c['checked']:6d}  lost {c['lost']:4d}  "
            f"duplicated {c['duplicated']:4d}  {json.dumps(extra) if extra else ''}"
        )
        lines += [f"      lost: {e}" for e in c["lost_examples"]]
        lines += [f"      duplicated: {e}" for e in c["duplicated_examples"]]
    lines += [f"  {c['name']}: COULD NOT RUN: {c['error']}" for c in report["checks"] if c["error"]]
    if report["unrecovered"]:
        lines += [
            "",
            "not back in time (see the fault's error): " + ", ".join(report["unrecovered"]),
        ]
    lines += ["", f"LOST {report['lost']}, DUPLICATED {report['duplicated']}"]
    return "\n".join(lines)


def write(report: dict[str, Any], out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2, default=str))
