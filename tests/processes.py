"""Real crmgraph server processes for tests that signal them (SIGTERM) or take their
dependencies away: `crmgraph serve NAME` on a port of its own, configured from Settings."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import time
from pathlib import Path

import httpx

from crmgraph.auth.tokens import issue_token
from crmgraph.config import Settings
from tests.ports import free_port

CRMGRAPH = str(Path(sys.executable).parent / "crmgraph")
JWT_SECRET = secrets.token_hex(32)


def process_env(settings: Settings, **extra: str) -> dict[str, str]:
    """The environment of a crmgraph process on settings' services, trusting JWT_SECRET."""
    env = {
        **os.environ,
        "DATABASE_URL": settings.database_url,
        "REDIS_URL": settings.redis_url,
        "NEO4J_URI": settings.neo4j_uri or "",
        "NEO4J_PASSWORD": settings.neo4j_password,
        "JWT_SECRET": JWT_SECRET,
        "JWT_ISSUER": "crmgraph-dev",
        "JWT_JWKS_URL": "",
        "CONSUMERS_IN_PROCESS": "false",
        "DB_POOL_SIZE": "2",  # the shared PostgreSQL serves many test runs at once
        "CRMGRAPH_ROUTER_SECRET": extra.pop("router_secret", secrets.token_urlsafe(32)),
    }
    env.update(extra)
    return env


def token(settings: Settings, tenant: str) -> str:
    signing = settings.model_copy(
        update={"jwt_secret": JWT_SECRET, "jwt_issuer": "crmgraph-dev", "jwt_private_key": None}
    )
    return issue_token(signing, tenant_id=tenant, subject=f"dev:{tenant}", roles=("tenant_admin",))


class Subgraph:
    """`crmgraph serve NAME --port P` (name None: `crmgraph serve --rest`, the REST shim) with
    its output in log; stop() SIGKILLs what is left. ready_within: how long it may take to be
    ready (/readyz) before it is killed and the start fails."""

    def __init__(self, settings: Settings, name: str | None, log: Path,
                 ready_within: float = 60, **env: str) -> None:  # fmt: skip
        self.port = free_port()
        self.router_secret = secrets.token_urlsafe(32)
        self.base = f"http://127.0.0.1:{self.port}"
        self.url = f"{self.base}/graphql"
        self.ws_url = f"ws://127.0.0.1:{self.port}/graphql"
        self.headers = {"x-router-secret": self.router_secret}
        environment = process_env(settings, router_secret=self.router_secret, **env)
        command = [CRMGRAPH, "serve", "--rest"]
        if name is not None:
            command = [CRMGRAPH, "serve", name, "--port", str(self.port)]
        environment["REST_PORT"] = str(self.port)
        with log.open("ab") as out:
            self.process = subprocess.Popen(
                command,
                env=environment, stdout=out, stderr=out,
            )  # fmt: skip
        deadline = time.monotonic() + ready_within
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"crmgraph serve {name or '--rest'} exited; see {log}")
            try:
                if httpx.get(f"{self.base}/readyz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.stop()  # not left running when the start is given up
        raise TimeoutError(
            f"crmgraph serve {name or '--rest'} not up in {ready_within:g} s; see {log}"
        )

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
