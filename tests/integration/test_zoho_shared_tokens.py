"""Zoho access tokens are shared by every process (crmgraph.zoho.access_tokens): several
processes reading records at once, against a stand-in of Zoho's accounts server and CRM API
on loopback (tests/zoho_standin.py, its token call slow on purpose), make one token call
between them, and when Zoho refuses that token (401 INVALID_TOKEN) one of them makes the
next; the others wait and use it. Zoho rate-limits token calls hard."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from crmgraph.config import Settings
from tests.zoho_standin import ZohoStandIn

ROOT = Path(__file__).parents[2]
PROCESSES = 4
RECORD = {"id": "7", "Last_Name": "Lee", "Modified_Time": "2026-11-28T10:00:00+00:00"}


@pytest.fixture
def zoho() -> Iterator[ZohoStandIn]:
    standin = ZohoStandIn(records={("Contacts", "7"): RECORD}, token_delay=0.5)
    standin.start()
    yield standin
    standin.stop()


def read_at_once(settings: Settings, zoho: ZohoStandIn, org_id: str, go: Path) -> list[object]:
    """PROCESSES processes, started together, each reading record 7: what each read."""
    args = ["t_shared_tokens", org_id, zoho.client_id, zoho.client_secret, zoho.refresh_token,
            zoho.url, "7", str(go)]  # fmt: skip
    env = {**os.environ, "DATABASE_URL": settings.database_url}
    command = [sys.executable, "-m", "tests.zoho_token_reader", *args]
    pipes = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE, "text": True}
    readers = [subprocess.Popen(command, cwd=ROOT, env=env, **pipes) for _ in range(PROCESSES)]
    try:
        go.touch()
        done = [reader.communicate(timeout=60) for reader in readers]
    finally:
        for reader in readers:
            reader.kill()
    assert [reader.returncode for reader in readers] == [0] * PROCESSES, done
    return [json.loads(out) for out, _ in done]


def test_processes_share_one_token_and_replace_a_refused_one_once(
    pg_settings: Settings, zoho: ZohoStandIn, tmp_path: Path
) -> None:
    org_id = f"{uuid.uuid4().int % 10**12}"

    first = read_at_once(pg_settings, zoho, org_id, tmp_path / "go1")
    calls_first = zoho.token_calls
    zoho.expire_tokens()
    again = read_at_once(pg_settings, zoho, org_id, tmp_path / "go2")

    assert first == again == [{"7": RECORD}] * PROCESSES
    assert (calls_first, zoho.token_calls) == (1, 2)
    statuses = sorted(status for _, _, status in zoho.gets)
    # Each read succeeds once per round; a process that reads the stored token after another
    # one replaced it never meets the refused one, so at most one 401 per process.
    refused = len(statuses) - 2 * PROCESSES
    assert statuses == [200] * (2 * PROCESSES) + [401] * refused and 1 <= refused <= PROCESSES
