"""A second router of the stack's kind (tests/stack.py ROUTER_KIND: Hive Gateway or Hive
Router) on the stack's supergraph, with its own environment: for tests that need a router
configured differently from the stack's (introspection off, a failing subgraph, rate limits)."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from typing import TypeVar

import httpx

from crmgraph import native_router
from tests.ports import free_port
from tests.stack import ROUTER, ROUTER_KIND, Stack, _wait, stop_process

R = TypeVar("R")


def router_command(env: dict[str, str], stack: Stack, port: int, name: str) -> list[str]:
    """The command line of a router of ROUTER_KIND on port; for Hive Router, env gets the
    path of the configuration written from env (crmgraph.native_router)."""
    supergraph = stack.workdir / "supergraph.graphql"
    if ROUTER_KIND == "hive-router":
        config = stack.workdir / f"{name}.json"
        native_router.write_config(env, supergraph=supergraph, port=port, out=config)
        env["ROUTER_CONFIG_FILE_PATH"] = str(config)
        return [str(native_router.binary())]
    gateway = str(ROUTER / "node_modules/.bin/hive-gateway")
    return [gateway, "supergraph", str(supergraph), "--port", str(port)]


def health_path() -> str:
    return "/health" if ROUTER_KIND == "hive-router" else "/healthcheck"


@contextmanager
def extra_router(stack: Stack, env: Mapping[str, str], name: str) -> Iterator[str]:
    """A router started with env (the whole environment), stopped on exit; yields its
    /graphql URL. Its log is `name`.log in the stack's work directory."""
    port = free_port()
    environment = dict(env)
    command = router_command(environment, stack, port, name)
    log_path = stack.workdir / f"{name}.log"
    with log_path.open("wb") as log:
        router = subprocess.Popen(
            command, cwd=ROUTER, env=environment, stdout=log, stderr=subprocess.STDOUT
        )

    def ready() -> bool:
        if router.poll() is not None:
            raise RuntimeError(log_path.read_text()[-2000:])
        with suppress(httpx.HTTPError):
            return httpx.get(f"http://127.0.0.1:{port}{health_path()}", timeout=1).is_success
        return False

    try:
        _wait(ready, name, timeout=120)
        yield f"http://127.0.0.1:{port}/graphql"
    finally:
        stop_process(router)


NATIVE = ROUTER_KIND == "hive-router"


def per_router(gateway: R, native: R) -> R:
    """What a client sees from the stack's router where the two differ (bench/README.md's
    behaviour matrix; README: Errors)."""
    return native if NATIVE else gateway
