"""Routers of the stack's kind (tests/stack.py ROUTER_KIND: Hive Gateway, or our Hive Router
build with its plugins, crmgraph.native_router) started by a test with
an environment of its own, on the stack's supergraph: for tests that need a router configured
differently from the stack's (introspection off, a failing subgraph, rate limits); and what a
client sees where the two kinds differ. Each writes to `<workdir>/<name>.log`."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
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
    """One router process."""

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
        if kind == "hive-router":
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
        return self.process.poll()

    def wait_ready(self, timeout: float = 120) -> None:  # a loaded machine: a minute and more
        def ready() -> bool:
            if self.poll() is not None:
                raise RuntimeError(self.log_path.read_text()[-2000:])
            try:
                return httpx.get(self.health, timeout=1).is_success
            except httpx.HTTPError:
                return False

        _wait(ready, self.name, timeout=timeout)

    def stop(self) -> None:
        if self.process.poll() is None:
            stop_process(self.process)

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
