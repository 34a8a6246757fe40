"""scripts/wait-for.sh, which `make run` uses to wait for its processes: quiet while waiting
(one line per process that is not up yet, no curl errors), then silent success."""

from __future__ import annotations

import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "wait-for.sh"


class _Ok(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *_: object) -> None:
        pass


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def late_server() -> Iterator[int]:
    """A server that starts listening 1.5 s from now, like a process still booting."""
    port = _free_port()
    servers: list[HTTPServer] = []

    def serve() -> None:
        time.sleep(1.5)
        server = HTTPServer(("127.0.0.1", port), _Ok)
        servers.append(server)
        server.serve_forever(poll_interval=0.1)

    threading.Thread(target=serve, daemon=True).start()
    yield port
    for server in servers:
        server.shutdown()


def test_waiting_prints_one_line_and_no_connection_errors(late_server: int) -> None:
    url = f"http://127.0.0.1:{late_server}/health"

    done = subprocess.run(
        [str(SCRIPT), "the router", url, "20"], capture_output=True, text=True, timeout=30
    )

    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.splitlines() == [f"crmgraph: waiting for the router ({url}) ..."]


def test_a_process_that_is_up_prints_nothing(late_server: int) -> None:
    url = f"http://127.0.0.1:{late_server}/health"
    subprocess.run([str(SCRIPT), "warm-up", url, "20"], capture_output=True, timeout=30)

    done = subprocess.run([str(SCRIPT), "the router", url, "20"], capture_output=True, text=True)

    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")


def test_a_process_that_exits_is_reported_once() -> None:
    url = f"http://127.0.0.1:{_free_port()}/health"
    dead = subprocess.Popen(["true"])
    dead.wait()

    done = subprocess.run(
        [str(SCRIPT), "the REST shim", url, "20", str(dead.pid)],
        capture_output=True,
        text=True,
        timeout=30,
    )

    assert done.returncode == 1
    said = f"crmgraph: the REST shim exited before it answered at {url}"
    assert done.stderr.splitlines() == [said]
    assert "curl" not in done.stdout + done.stderr


def test_make_run_waits_only_through_the_quiet_script() -> None:
    run_sh = (SCRIPT.parent / "run.sh").read_text()

    assert "scripts/wait-for.sh" in run_sh
    assert "curl" not in run_sh
