"""The chaos run's own PostgreSQL, Redis and Neo4j, on free ports under its work directory:
the shared services other engineers' runs use are never stopped. Redis and Neo4j are the
tests' helpers (tests/integration/consumers); PostgreSQL is a cluster of its own made with
the Debian binaries scripts/services.sh uses, stopped with `pg_ctl -m immediate` (a crash:
no checkpoint, every connection cut) and started again on the same data and port."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

from tests.integration.consumers.neo4j_server import PrivateNeo4j
from tests.integration.consumers.support import PrivateRedis
from tests.ports import free_port

PG_BIN = Path("/usr/lib/postgresql/15/bin")
PG_OS_USER = "postgres"

__all__ = ["ChaosNeo4j", "PrivatePostgres", "PrivateRedis"]
# Neo4j took 225 s to start again at a load average of 32 on 2 cores.
NEO4J_START_SECONDS = 600.0


class ChaosNeo4j(PrivateNeo4j):
    def start(self, within: float = NEO4J_START_SECONDS) -> None:
        super().start(within)


def _as_pg(command: list[str]) -> subprocess.CompletedProcess[str]:
    """initdb and postgres refuse to run as root: as root, run them as the postgres user."""
    if os.geteuid() == 0:
        command = ["runuser", "-u", PG_OS_USER, "--", *command]
    return subprocess.run(command, cwd="/", text=True, capture_output=True, check=False)


class PrivatePostgres:
    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.home = workdir / "postgres"
        self.data = self.home / "data"
        self.socket = Path(f"/tmp/crmgraph-chaos-pg-{self.port}")
        self.url = f"postgresql+asyncpg://crmgraph:crmgraph@127.0.0.1:{self.port}/crmgraph"

    def _own(self, *paths: Path) -> None:
        if os.geteuid() == 0:
            for path in paths:
                shutil.chown(path, PG_OS_USER)

    def init(self) -> None:
        self.home.mkdir(parents=True, exist_ok=True)
        self.socket.mkdir(exist_ok=True)
        self._own(self.home, self.socket)
        done = _as_pg(
            [
                str(PG_BIN / "initdb"),
                "-D",
                str(self.data),
                "-U",
                "postgres",
                "--encoding=UTF8",
                "--locale=C.UTF-8",
                "--auth=trust",
            ]
        )
        if done.returncode != 0:
            raise RuntimeError(f"initdb failed: {done.stderr[-2000:]}")
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.write(
                f"listen_addresses = '127.0.0.1'\nport = {self.port}\n"
                f"unix_socket_directories = '{self.socket}'\nmax_connections = 300\n"
                "fsync = off\nfull_page_writes = off\n"
            )
        self.start()
        sql = (
            "CREATE ROLE crmgraph LOGIN SUPERUSER PASSWORD 'crmgraph';"
            " CREATE DATABASE crmgraph OWNER crmgraph;"
        )
        for statement in sql.split(";")[:-1]:
            made = _as_pg(
                [
                    str(PG_BIN / "psql"),
                    "-h",
                    str(self.socket),
                    "-p",
                    str(self.port),
                    "-U",
                    "postgres",
                    "-d",
                    "postgres",
                    "-X",
                    "-q",
                    "-v",
                    "ON_ERROR_STOP=1",
                    "-c",
                    statement,
                ]
            )
            if made.returncode != 0:
                raise RuntimeError(f"psql failed: {made.stderr}")

    def start(self) -> None:
        log = self.home / "postgres.log"
        started = _as_pg(
            [
                str(PG_BIN / "pg_ctl"),
                "start",
                "-D",
                str(self.data),
                "-l",
                str(log),
                "-w",
                "-t",
                "120",
                "-s",
            ]
        )
        if started.returncode != 0:
            raise RuntimeError(f"pg_ctl start failed: {started.stderr} {log.read_text()[-2000:]}")
        for _ in range(240):
            ready = subprocess.run(
                [
                    str(PG_BIN / "pg_isready"),
                    "-q",
                    "-h",
                    "127.0.0.1",
                    "-p",
                    str(self.port),
                    "-t",
                    "1",
                ],
                check=False,
            )
            if ready.returncode == 0:
                return
            time.sleep(0.5)
        raise TimeoutError(f"PostgreSQL on {self.port} not ready")

    def stop(self, mode: str = "immediate") -> None:
        """immediate: the outage (a crash, connections cut); fast: the clean end of a run."""
        _as_pg([str(PG_BIN / "pg_ctl"), "stop", "-D", str(self.data), "-m", mode, "-w", "-s"])

    def running(self) -> bool:
        return _as_pg([str(PG_BIN / "pg_ctl"), "status", "-D", str(self.data)]).returncode == 0
