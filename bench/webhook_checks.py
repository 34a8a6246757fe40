"""The inbound-webhook scenario's pure parts: the signed bodies it sends, the check of each
answer, and the statistics. No I/O, so tests/unit/test_bench_webhooks.py tests them fast."""

from __future__ import annotations

import hashlib
import hmac
import json
import math
from collections.abc import Sequence
from typing import Any

ACK_STATUS = 202  # 000's format is acknowledged 202 with its response body


def contact_event(org_id: str, n: int, run: str) -> tuple[str, bytes]:
    """The n-th distinct CRM contact of a run in 000's format: (its Zoho record id, body).
    No Account_Name: the mapper would link every contact to one account, and first
    deliveries of one account at once retry with backoff, which is not what is measured."""
    zoho_id = f"{run}{n:09d}"
    event = {
        "event_type": "contact.created",
        "module": "crm",
        "timestamp": "2024-01-15T10:30:00Z",
        "org_id": org_id,
        "webhook_id": f"wh_{zoho_id}",
        "retry_count": 0,
        "data": {
            "id": zoho_id,
            "entity_type": "Contact",
            "operation": "insert",
            "resource_uri": f"/crm/v2/Contacts/{zoho_id}",
            "changed_fields": ["First_Name", "Last_Name", "Email"],
            "details": {
                "First_Name": f"Bench{n}",
                "Last_Name": "Inbound",
                "Email": f"bench{n}.{run}@example.com",
                "Phone": "+1-555-123-4567",
            },
        },
    }
    return zoho_id, json.dumps(event).encode()


def signed_headers(org_id: str, secret: str, body: bytes) -> dict[str, str]:
    signature = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return {
        "Content-Type": "application/json",
        "X-Zoho-Org-Id": org_id,
        "X-Zoho-Signature": f"sha256={signature}",
    }


def check_answer(status: int, body: bytes, zoho_id: str) -> str | None:
    """The stored event's id when the answer is a correct first acknowledgement of the
    delivery of zoho_id (202, success, queued, one new event, no duplicate), else None."""
    if status != ACK_STATUS:
        return None
    try:
        answer = json.loads(body)
    except ValueError:
        return None
    if not isinstance(answer, dict):
        return None
    ids = answer.get("event_ids")
    ok = (
        answer.get("success") is True
        and answer.get("status") == "queued_for_processing"
        and answer.get("webhook_id") == f"wh_{zoho_id}"
        and answer.get("duplicates") == 0
        and isinstance(ids, list)
        and len(ids) == 1
        and isinstance(ids[0], str)
        and answer.get("job_id") == ids[0]
    )
    return ids[0] if ok and isinstance(ids, list) else None


def percentile(values: Sequence[float], p: float) -> float | None:
    """Nearest-rank percentile (p in 0..100); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def stats_ms(seconds: Sequence[float]) -> dict[str, Any]:
    """Count, median, p95, p99 and max of durations given in seconds, in milliseconds."""

    def ms(p: float) -> float | None:
        value = percentile(seconds, p)
        return None if value is None else round(value * 1000, 2)

    return {"count": len(seconds), "p50_ms": ms(50), "p95_ms": ms(95), "p99_ms": ms(99),
            "max_ms": ms(100)}  # fmt: skip


def summary(
    sent: int,
    acks: Sequence[float],
    commits: Sequence[float],
    wrong: int,
    uncommitted: int,
    duration: float,
) -> dict[str, Any]:
    """The figures of one run: answers (only correct ones timed), the time from each
    acknowledgement to its record committed, the rate achieved, and every failure."""
    return {
        "sent": sent,
        "correct": len(acks),
        "wrong": wrong,
        "uncommitted": uncommitted,
        "achieved_rps": round(len(acks) / duration, 1) if duration > 0 else 0.0,
        "committed_per_s": round(len(commits) / duration, 1) if duration > 0 else 0.0,
        "ack": stats_ms(acks),
        "ack_to_commit": stats_ms(commits),
        "passed": wrong == 0 and uncommitted == 0 and len(acks) == sent,
    }
