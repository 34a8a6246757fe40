"""The router's caller cache (router-config/identity.ts) is refreshed ahead of expiry, so no
request waits for the REST shim once its caller is known: the REST shim, a process of its
own here, is stopped with SIGSTOP before the cached answer expires, and requests go on past
the expiry without waiting for it, counted against the caller's own bucket all along.
Before, at every expiry every request waited for /internal/introspect (issue 16's stall)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.e2e.test_rate_limits import DEALS
from tests.ports import free_port
from tests.routers import NATIVE, Router, router_env
from tests.stack import Stack, _wait, stop_process

pytestmark = pytest.mark.skipif(
    NATIVE, reason="Hive Router's: tests/e2e/test_rate_limit_identity_cache.py"
)

# Generous limits: the test reads X-RateLimit-Remaining to see which bucket each request hit.
ROOMY = {"authenticated_user": {"requests_per_minute": 100_000, "burst_limit": 100_000}}
# router-config/identity.ts identityFromEnv: answers are used as they are for 5 s and asked
# again from 4 s on; the router gives up on the shim after 1 s.
CACHE_SECONDS = 5.0
ASK_TIMEOUT_SECONDS = 1.0


@pytest.fixture
def shim(stack: Stack) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """The REST shim in a process of its own (the stack's runs in the test process)."""
    port = free_port()
    # The stack's own settings (the test database, its token issuers and keys), as variables.
    settings = stack.settings.model_dump(mode="json")
    env = {**os.environ, **{
        name.upper(): value if isinstance(value, str) else json.dumps(value)
        for name, value in settings.items() if value is not None
    }}  # fmt: skip
    env |= {"REST_PORT": str(port), "CONSUMERS_IN_PROCESS": "false"}
    log = (stack.workdir / "cache-shim.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "crmgraph.cli", "serve", "--rest"],
        env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"

    def up() -> bool:
        if process.poll() is not None:
            raise RuntimeError((stack.workdir / "cache-shim.log").read_text()[-2000:])
        try:
            return httpx.get(f"{url}/health", timeout=1).is_success
        except httpx.HTTPError:
            return False

    try:
        _wait(up, "REST shim process", timeout=120)
        yield process, url
    finally:
        os.kill(process.pid, signal.SIGCONT)
        stop_process(process)


def test_requests_do_not_wait_for_a_stopped_shim_when_their_callers_answer_expires(
    stack: Stack, tenant: str, shim: tuple[subprocess.Popen[bytes], str]
) -> None:
    process, shim_url = shim
    env = router_env(
        stack, CRMGRAPH_RATE_LIMITS=json.dumps(ROOMY),
        CRMGRAPH_AUTH_URL=f"{shim_url}/internal/introspect",
    )  # fmt: skip
    router = Router(stack, free_port(), "cache-refresh", env)
    headers = {"authorization": f"Bearer {stack.token(tenant)}"}
    try:
        router.wait_ready()
        with httpx.Client(timeout=30) as http:
            first = http.post(router.url, json={"query": DEALS}, headers=headers)
            answered = time.monotonic()  # the shim answered for this caller by now
            os.kill(process.pid, signal.SIGSTOP)
            taken: list[float] = []
            remaining: list[int] = []
            # Across the expiry, and past the time a waiting request would have given up.
            while time.monotonic() - answered < CACHE_SECONDS + 2 * ASK_TIMEOUT_SECONDS:
                started = time.monotonic()
                response = http.post(router.url, json={"query": DEALS}, headers=headers)
                taken.append(time.monotonic() - started)
                assert response.json() == {"data": {"deals": {"totalCount": 0}}}
                remaining.append(int(response.headers["X-RateLimit-Remaining"]))
                time.sleep(0.05)
    finally:
        router.stop()

    assert first.status_code == 200
    start = int(first.headers["X-RateLimit-Remaining"])
    # One bucket, the caller's: a request whose answer had run out would have waited for the
    # stopped shim, given up, and been counted against a fresh bucket of its address.
    assert remaining == list(range(start - 1, start - 1 - len(remaining), -1))
    assert max(taken) < ASK_TIMEOUT_SECONDS, taken
