"""X-CRM-Signature: signed with the secret over `<t>.<body>`, refused when anything differs or
the timestamp is too old (a replay)."""

from __future__ import annotations

import hashlib
import hmac

from crmgraph.webhooks import signing

SECRET = "whsec_test_secret_0123456789"
BODY = b'{"event_type":"deal.stage_changed"}'


def test_header_is_t_and_hex_hmac_of_t_dot_body() -> None:
    header = signing.sign(SECRET, BODY, now=1_700_000_000)

    expected = hmac.new(SECRET.encode(), b"1700000000." + BODY, hashlib.sha256).hexdigest()
    assert header == f"t=1700000000,v1={expected}"


def test_verifies_within_tolerance_only() -> None:
    header = signing.sign(SECRET, BODY, now=1_700_000_000)

    assert signing.verify(SECRET, header, BODY, now=1_700_000_100)
    assert not signing.verify(SECRET, header, BODY, now=1_700_000_000 + 301)  # replayed later
    assert not signing.verify(SECRET, header, BODY, now=1_700_000_000 - 301)


def test_other_secret_body_or_timestamp_fail() -> None:
    header = signing.sign(SECRET, BODY, now=1_700_000_000)
    forged_time = header.replace("t=1700000000", "t=1700000050")

    assert not signing.verify("whsec_another_secret_00000", header, BODY, now=1_700_000_000)
    assert not signing.verify(SECRET, header, BODY + b" ", now=1_700_000_000)
    assert not signing.verify(SECRET, forged_time, BODY, now=1_700_000_050)
    assert not signing.verify(SECRET, "v1=abc", BODY, now=1_700_000_000)
    assert not signing.verify(SECRET, "t=x,v1=abc", BODY, now=1_700_000_000)


def test_generated_secrets_differ_and_are_long() -> None:
    first, second = signing.new_secret(), signing.new_secret()

    assert first != second
    assert len(first) >= 40
