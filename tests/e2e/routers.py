"""A router of the stack's kind (tests/stack.py ROUTER_KIND) started by a test with its own
variables: Hive Gateway, or Hive Router with its coprocessor (crmgraph.coprocessor, the rate
limits) beside it. Both write to `<workdir>/<name>.log`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx

from crmgraph import native_router
from tests.stack import ROUTER, ROUTER_KIND, Stack, _wait


class Router:
    """One router process, and the coprocessor it calls (native only)."""

    def __init__(self, stack: Stack, port: int, name: str, env: dict[str, str]) -> None:
        self.log_path = stack.workdir / f"{name}.log"
        self.port = port
        self.name = name
        env = {**os.environ, **stack._router_env(), **env}
        supergraph = stack.workdir / "supergraph.graphql"
        log = self.log_path.open("wb")
        self.coprocessor: subprocess.Popen[bytes] | None = None
        self.socket: Path | None = None
        if ROUTER_KIND == "hive-router":
            # A unix socket path must be short (108 bytes): not under the test's workdir.
            self.socket = socket = Path(f"/tmp/crmgraph-coproc-{os.getpid()}-{port}.sock")
            env["CRMGRAPH_COPROCESSOR_SOCKET"] = str(socket)
            self.coprocessor = subprocess.Popen(
                [sys.executable, "-m", "crmgraph.coprocessor", "--socket", str(socket)],
                env=env, stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip
            config = stack.workdir / f"{name}.router.json"
            native_router.write_config(env, supergraph=supergraph, port=port, out=config)
            env["ROUTER_CONFIG_FILE_PATH"] = str(config)
            command = [str(native_router.binary())]
            self.health = f"http://127.0.0.1:{port}/health"
        else:
            command = [str(ROUTER / "node_modules/.bin/hive-gateway"), "supergraph",
                       str(supergraph), "--port", str(port)]  # fmt: skip
            self.health = f"http://127.0.0.1:{port}/healthcheck"
        self.process = subprocess.Popen(
            command, cwd=ROUTER, env=env, stdout=log, stderr=subprocess.STDOUT
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/graphql"

    def poll(self) -> int | None:
        if self.coprocessor is not None and self.coprocessor.poll() is not None:
            return self.coprocessor.returncode
        return self.process.poll()

    def wait_ready(self, timeout: float = 120) -> None:  # a loaded machine: a minute and more
        def ready() -> bool:
            if self.poll() is not None:
                raise RuntimeError(self.log_path.read_text()[-2000:])
            if self.socket is not None and not self.socket.exists():
                return False
            try:
                return httpx.get(self.health, timeout=1).is_success
            except httpx.HTTPError:
                return False

        _wait(ready, self.name, timeout=timeout)

    def terminate(self) -> None:
        for process in (self.process, self.coprocessor):
            if process is not None and process.poll() is None:
                process.terminate()

    def wait(self, timeout: float = 10) -> None:
        for process in (self.process, self.coprocessor):
            if process is None:
                continue
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:  # a loaded machine: not left running
                process.kill()
                process.wait(timeout)

    def log(self) -> str:
        return self.log_path.read_text()
