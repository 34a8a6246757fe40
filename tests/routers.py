"""Routers of the stack's kind (tests/stack.py ROUTER_KIND: Hive Gateway, or Hive Router with
its coprocessor, crmgraph.coprocessor, beside it for the rate limits) started by a test with
an environment of its own, on the stack's supergraph: for tests that need a router configured
differently from the stack's (introspection off, a failing subgraph, rate limits); and what a
client sees where the two kinds differ. Each writes to `<workdir>/<name>.log`."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

import httpx

from crmgraph import native_router
from tests.ports import free_port
from tests.stack import ROUTER, ROUTER_KIND, Stack, _wait, stop_process

R = TypeVar("R")
NATIVE = ROUTER_KIND == "hive-router"


def per_router(gateway: R, native: R) -> R:
    """What a client sees from the stack's router where the two differ (bench/README.md's
    behaviour matrix; README: Errors)."""
    return native if NATIVE else gateway


def router_env(stack: Stack, **env: str) -> dict[str, str]:
    """The stack's router environment with env over it."""
    return {**os.environ, **stack._router_env(), **env}


class Router:
    """One router process, and the coprocessor it calls (native only)."""

    def __init__(self, stack: Stack, port: int, name: str, env: Mapping[str, str],
                 kind: str = ROUTER_KIND) -> None:  # fmt: skip
        """env: the router's whole environment (tests build it from the stack's); kind:
        hive-gateway or hive-router, the stack's unless a test compares the two."""
        self.log_path = stack.workdir / f"{name}.log"
        self.port = port
        self.name = name
        env = dict(env)
        supergraph = stack.workdir / "supergraph.graphql"
        log = self.log_path.open("wb")
        self.coprocessor: subprocess.Popen[bytes] | None = None
        self.socket: Path | None = None
        if kind == "hive-router":
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

    def stop(self) -> None:
        for process in (self.process, self.coprocessor):
            if process is not None and process.poll() is None:
                stop_process(process)

    def log(self) -> str:
        return self.log_path.read_text()


@contextmanager
def extra_router(stack: Stack, env: Mapping[str, str], name: str,
                 kind: str = ROUTER_KIND) -> Iterator[str]:  # fmt: skip
    """A router of kind (the stack's by default) started with env (the whole environment),
    stopped on exit; yields its /graphql URL."""
    router = Router(stack, free_port(), name, env, kind)
    try:
        router.wait_ready()
        yield router.url
    finally:
        router.stop()
