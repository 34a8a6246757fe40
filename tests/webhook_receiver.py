"""A webhook receiver for tests, written as a customer would write one: a real HTTP server
(http.server on a port the kernel picks) that checks X-CRM-Signature with its own HMAC code
(not crmgraph's) and refuses a bad signature or a timestamp older than its tolerance with
401. Each path answers from its own script of status codes (then 200), and keeps what it
received."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    verified: bool
    at: float = field(default_factory=time.monotonic)

    @property
    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    secret: str
    tolerance: int = 300
    # Added to the receiver's clock: a test moves it on to replay a request "later".
    clock_offset: float = 0.0
    # Per path, the status codes of the next answers (then 200).
    script: dict[str, list[int]] = field(default_factory=dict)
    # Per path, seconds to wait before answering (a slow receiver).
    delays: dict[str, float] = field(default_factory=dict)
    received: list[Received] = field(default_factory=list)
    url: str = ""

    def verify(self, header: str, body: bytes) -> bool:
        parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
        try:
            timestamp = int(parts["t"])
        except (KeyError, ValueError):
            return False
        if abs(time.time() + self.clock_offset - timestamp) > self.tolerance:
            return False
        expected = hmac.new(
            self.secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256
        ).hexdigest()
        return hmac.compare_digest(expected, parts.get("v1", ""))

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                verified = receiver.verify(self.headers.get("X-CRM-Signature", ""), body)
                receiver.received.append(
                    Received(self.path, dict(self.headers.items()), body, verified)
                )
                time.sleep(receiver.delays.get(self.path, 0))
                planned = receiver.script.get(self.path, [])
                status = planned.pop(0) if planned else 200
                if not verified:
                    status = 401
                answer = json.dumps({"status": status, "path": self.path}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *_: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def at(self, path: str) -> list[Received]:
        return [r for r in self.received if r.path == path]

    def wait_for(self, path: str, count: int = 1, timeout: float = 15) -> list[Received]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.at(path)) >= count:
                return self.at(path)
            time.sleep(0.05)
        raise AssertionError(f"{path}: {len(self.at(path))} of {count} requests in {timeout}s")

    def replay(self, request: Received) -> int:
        """Send a received request again, as an attacker who captured it would."""
        headers = {"X-CRM-Signature": request.headers["X-CRM-Signature"],
                   "Content-Type": "application/json"}  # fmt: skip
        return httpx.post(
            self.url + request.path, content=request.body, headers=headers
        ).status_code
