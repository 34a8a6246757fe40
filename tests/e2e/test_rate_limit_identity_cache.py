"""The router's cache of callers (whom the REST shim's /internal/introspect says a credential
is) never makes a request wait for the shim: an answer about to expire is refreshed in the
background while requests are answered from the cache, and while the shim does not answer the
cached caller is still counted until the grace ends; only then does the credential count by
address. The shim here is a process of its own, stopped for real (SIGSTOP: it accepts
connections and never answers, as a shim stuck under load does)."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest

from crmgraph.native_router import IDENTITY_TIMINGS
from tests.e2e.test_rate_limits import CREATE_KEY, DEALS, LIMITS
from tests.ports import free_port
from tests.routers import NATIVE, Router, router_env
from tests.stack import Stack, _wait, stop_process

pytestmark = pytest.mark.skipif(
    not NATIVE, reason="the refresh-ahead cache is Hive Router's plugin (Hive Gateway's waits)"
)

FRESH = IDENTITY_TIMINGS["fresh_ms"] / 1000
STALE = (IDENTITY_TIMINGS["fresh_ms"] + IDENTITY_TIMINGS["grace_ms"]) / 1000
#: A request that waits on the stopped shim takes at least the question's timeout.
WAITED = IDENTITY_TIMINGS["timeout_ms"] / 1000


@pytest.fixture
def shim(stack: Stack) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """A REST shim process of the stack's (same database and router secret)."""
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": stack.settings.database_url,
        "REDIS_URL": stack.settings.redis_url,
        "REST_PORT": str(port),
        "HOST": "127.0.0.1",
        "JWT_SECRET": stack.settings.jwt_secret or "",
        "CRMGRAPH_ROUTER_SECRET": stack.router_secret,
        "CONSUMERS_IN_PROCESS": "false",
    }
    log = (stack.workdir / "stopped-shim.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "crmgraph.cli", "serve", "--rest"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"

    def up() -> bool:
        assert process.poll() is None, (stack.workdir / "stopped-shim.log").read_text()[-2000:]
        try:
            return httpx.get(f"{url}/health", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    try:
        _wait(up, "REST shim", timeout=120)
        yield process, url
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGCONT)
            stop_process(process)


def test_a_stopped_rest_shim_never_holds_a_request_and_the_caller_keeps_its_bucket(
    stack: Stack, tenant: str, shim: tuple[subprocess.Popen[bytes], str]
) -> None:
    process, shim_url = shim
    created = stack.graphql(
        CREATE_KEY,
        {"input": {"name": "Sync", "permissions": ["deals:read"],
                   "rateLimitTier": "api_integration"}},
        tenant=tenant,
    ).json()["data"]["createApiKey"]  # fmt: skip
    key = {"x-api-key": created["apiKey"]["key"], "x-api-secret": created["secret"]}
    env = router_env(stack, CRMGRAPH_RATE_LIMITS=json.dumps(LIMITS),
                     CRMGRAPH_AUTH_URL=f"{shim_url}/internal/introspect")  # fmt: skip
    router = Router(stack, free_port(), "identity-cache", env)
    address = f"127.{random.randint(1, 254)}.{random.randint(1, 254)}.{random.randint(2, 254)}"
    transport = httpx.HTTPTransport(local_address=address)
    try:
        router.wait_ready()
        with httpx.Client(transport=transport, timeout=30) as client:

            def ask() -> tuple[float, httpx.Response]:
                started = time.monotonic()
                response = client.post(router.url, json={"query": DEALS}, headers=key)
                return time.monotonic() - started, response

            _, first = ask()
            fetched = time.monotonic()  # the cached answer is at most this old
            assert first.status_code == 200, first.text
            assert first.headers["X-RateLimit-Limit"] == "600"  # api_integration's

            process.send_signal(signal.SIGSTOP)
            # Across the refresh (from refresh_ms) and the expiry (fresh_ms) of the answer.
            answers = []
            while time.monotonic() - fetched < FRESH + 3:
                answers.append(ask())
                time.sleep(0.2)
            slowest = max(elapsed for elapsed, _ in answers)
            limits = {r.headers.get("X-RateLimit-Limit") for _, r in answers}

            time.sleep(max(0.0, fetched + STALE - 3 - time.monotonic()))
            _, in_grace = ask()
            time.sleep(max(0.0, fetched + STALE + 2 - time.monotonic()))
            _, after_grace = ask()
    finally:
        router.stop()

    assert [r.status_code for _, r in answers] == [200] * len(answers)
    assert limits == {"600"}, "the key's own bucket while the shim is stopped"
    assert slowest < WAITED, f"a request waited {slowest:.2f} s on the stopped shim"
    assert in_grace.headers["X-RateLimit-Limit"] == "600"
    # The grace is over and the shim still silent: counted by address (authenticated_user).
    assert after_grace.headers["X-RateLimit-Limit"] == "6"
