"""The routers the fuzzers send to: both kinds, Hive Gateway and our Hive Router build
(crmgraph.native_router), in every run. The stack's own router (tests/stack.py ROUTER_KIND)
and one of the other kind, started once per session on the stack's supergraph and
subgraphs."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fuzz.processes import FuzzedRouter
from tests.ports import free_port
from tests.routers import Router, router_env
from tests.stack import ROUTER_KIND, Stack

KINDS = ("hive-gateway", "hive-router")


@pytest.fixture(scope="session")
def other_router(stack: Stack) -> Iterator[Router]:
    """A router of the kind the stack does not run, configured as the stack's router is
    (rate limits off: concurrent test runs share one Redis and one client address)."""
    other = next(kind for kind in KINDS if kind != ROUTER_KIND)
    env = router_env(stack, CRMGRAPH_RATE_LIMITS_ENABLED="false")
    router = Router(stack, free_port(), f"fuzz-{other}", env, kind=other)
    try:
        router.wait_ready()
        yield router
    finally:
        router.stop()


@pytest.fixture(params=KINDS)
def router(request: pytest.FixtureRequest, stack: Stack) -> FuzzedRouter:
    kind: str = request.param
    if kind == ROUTER_KIND:
        own = stack._router
        assert own is not None
        return FuzzedRouter(kind, stack.router_url, own.pid, own=True, poll=own.poll)
    other: Router = request.getfixturevalue("other_router")
    return FuzzedRouter(kind, other.url, other.process.pid, own=False, poll=other.poll)
