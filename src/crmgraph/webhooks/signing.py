"""The X-CRM-Signature header: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`
keyed with the subscription's secret. The timestamp is signed with the body, so a receiver
that refuses old timestamps refuses replays too."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time

HEADER = "X-CRM-Signature"
# What a receiver should accept by default: five minutes either way.
TOLERANCE_SECONDS = 300


def new_secret() -> str:
    """A fresh subscription secret (256 random bits)."""
    return "whsec_" + secrets.token_urlsafe(32)


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The hex HMAC-SHA256 of `<timestamp>.<body>`."""
    message = f"{timestamp}.".encode() + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def sign(secret: str, body: bytes, *, now: float | None = None) -> str:
    """The header value for body sent now."""
    timestamp = int(time.time() if now is None else now)
    return f"t={timestamp},v1={signature(secret, timestamp, body)}"


def verify(
    secret: str,
    header: str,
    body: bytes,
    *,
    tolerance: int = TOLERANCE_SECONDS,
    now: float | None = None,
) -> bool:
    """Whether header signs body with secret at a time within tolerance of now; any v1
    may match (several are sent while a secret is being rotated)."""
    fields: dict[str, list[str]] = {}
    for part in header.split(","):
        name, _, value = part.strip().partition("=")
        fields.setdefault(name, []).append(value)
    try:
        timestamp = int(fields["t"][0])
    except (KeyError, ValueError):
        return False
    if abs((time.time() if now is None else now) - timestamp) > tolerance:
        return False
    expected = signature(secret, timestamp, body)
    return any(hmac.compare_digest(expected, given) for given in fields.get("v1", []))
