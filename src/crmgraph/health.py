"""The readiness answer of /health, the same on the REST shim and on every subgraph."""

from __future__ import annotations


def status_of(ready: bool) -> tuple[str, int]:
    """(status, HTTP status) for whether every dependency answers: load balancers and
    compose's healthchecks read the HTTP status, people the word."""
    return ("ok", 200) if ready else ("unavailable", 503)
