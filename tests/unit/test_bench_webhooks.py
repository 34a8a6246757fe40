"""bench/webhook_checks.py (issue 13's benchmark): the bodies it sends are what the shim's
own format accepts, only a correct first acknowledgement counts, and the statistics are the
nearest-rank percentiles of the correct answers only."""

from __future__ import annotations

import json

from bench.webhook_checks import check_answer, contact_event, percentile, signed_headers, summary
from crmgraph.zoho.formats import Delivery, choose
from crmgraph.zoho.formats.base import OrgKeys

SECRET = "s3cret-for-the-bench-test"
EVENT_ID = "6b0e8f3c-2f53-4d8e-9d36-0c1b1b0a9e11"


def delivery(body: bytes, headers: dict[str, str]) -> Delivery:
    lower = {k.lower(): v for k, v in headers.items()}
    return Delivery(module="crm", method="POST", headers=lower, query=(), body=body)


def test_each_body_is_a_distinct_contact_signed_as_the_shim_checks() -> None:
    bodies = [contact_event("org-1", n, "run1") for n in range(3)]
    assert len({zoho_id for zoho_id, _ in bodies}) == 3
    zoho_id, body = bodies[1]
    sent = delivery(body, signed_headers("org-1", SECRET, body))
    form = choose(sent)
    read = form.read(sent)
    assert form.name == "spec000" and form.org_id(sent, read) == "org-1"
    assert form.verify(sent, read, OrgKeys("org-1", SECRET))
    assert not form.verify(sent, read, OrgKeys("org-1", SECRET + "x"))
    [event] = form.events(sent, read)
    assert (event.zoho_module, event.operation, event.record_id) == ("Contacts", "create", zoho_id)
    assert event.fields["Email"] == "bench1.run1@example.com"


def ack(**changes: object) -> bytes:
    body = {"success": True, "webhook_id": "wh_run1000000001", "correlation_id": "corr_1",
            "job_id": EVENT_ID, "event_ids": [EVENT_ID], "duplicates": 0,
            "status": "queued_for_processing", "processing_time_ms": 3}  # fmt: skip
    return json.dumps({**body, **changes}).encode()


def test_only_a_correct_first_acknowledgement_counts() -> None:
    zoho_id = "run1000000001"
    assert check_answer(202, ack(), zoho_id) == EVENT_ID
    assert check_answer(200, ack(), zoho_id) is None
    assert check_answer(500, ack(), zoho_id) is None
    assert check_answer(202, b"not json", zoho_id) is None
    assert check_answer(202, b"[]", zoho_id) is None
    assert check_answer(202, ack(success=False), zoho_id) is None
    assert check_answer(202, ack(webhook_id="wh_other"), zoho_id) is None  # another's answer
    assert check_answer(202, ack(duplicates=1, event_ids=[]), zoho_id) is None
    assert check_answer(202, ack(event_ids=[EVENT_ID, EVENT_ID]), zoho_id) is None
    assert check_answer(202, ack(status="failed"), zoho_id) is None
    already = {"success": True, "message": "Webhook already processed", "correlation_id": "c"}
    assert check_answer(200, json.dumps(already).encode(), zoho_id) is None


def test_percentiles_are_nearest_rank() -> None:
    values = [float(n) for n in range(100, 0, -1)]
    assert (percentile(values, 50), percentile(values, 95), percentile(values, 99)) == (
        50.0,
        95.0,
        99.0,
    )
    assert percentile(values, 100) == 100.0
    ten = [float(n) for n in range(1, 11)]  # a rank between two values rounds up
    assert (percentile(ten, 95), percentile(ten, 50), percentile(ten, 1)) == (10.0, 5.0, 1.0)
    assert percentile([0.2], 99) == 0.2
    assert percentile([], 50) is None


def test_the_summary_counts_correct_answers_and_fails_on_any_miss() -> None:
    acks = [0.001 * n for n in range(1, 101)]  # 1..100 ms
    commits = [0.01 * n for n in range(1, 101)]  # 10..1000 ms
    good = summary(100, acks, commits, wrong=0, uncommitted=0, duration=10.0)
    assert good["passed"] and good["achieved_rps"] == 10.0
    assert (good["ack"]["p50_ms"], good["ack"]["p99_ms"]) == (50.0, 99.0)
    assert (good["ack_to_commit"]["p95_ms"], good["ack_to_commit"]["max_ms"]) == (950.0, 1000.0)
    wrong = summary(101, acks, commits, wrong=1, uncommitted=0, duration=10.0)
    assert not wrong["passed"] and wrong["achieved_rps"] == 10.0 and wrong["wrong"] == 1
    assert not summary(100, acks, commits[:99], wrong=0, uncommitted=1, duration=10.0)["passed"]
