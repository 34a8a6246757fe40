"""A PostgreSQL server of one test's own (Debian's postgresql-15 binaries, which `make
services` installs), to stop for real: stopping the shared one would break every other test
run using it. initdb and postgres refuse to run as root, so as root they run as the
`postgres` OS user (as scripts/services.sh does), in a directory that user owns."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

from tests.ports import free_port

BIN = Path("/usr/lib/postgresql/15/bin")


def _as_postgres(command: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


class PrivatePostgres:
    def __init__(self) -> None:
        if not (BIN / "initdb").exists():
            raise RuntimeError(f"{BIN}/initdb missing: run `make services` once")
        self.dir = Path(tempfile.mkdtemp(prefix="crmgraph-pg-", dir="/tmp"))
        self.port = free_port()
        self.url = f"postgresql+asyncpg://crmgraph@127.0.0.1:{self.port}/crmgraph"
        self.process: subprocess.Popen[bytes] | None = None
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
        subprocess.run(
            _as_postgres([str(BIN / "initdb"), "-D", str(self.dir / "data"), "-U", "crmgraph",
                          "--auth=trust", "--no-sync"]),
            check=True, capture_output=True, cwd="/",
        )  # fmt: skip

    def start(self, within: float = 60) -> None:
        self.process = subprocess.Popen(
            _as_postgres([str(BIN / "postgres"), "-D", str(self.dir / "data"), "-p",
                          str(self.port), "-h", "127.0.0.1", "-k", str(self.dir),
                          "-c", "fsync=off", "-c", "max_connections=50"]),
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd="/",
        )  # fmt: skip
        ready = [str(BIN / "pg_isready"), "-h", "127.0.0.1", "-p", str(self.port)]
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            if subprocess.run(ready, capture_output=True, check=False).returncode == 0:
                create = [str(BIN / "createdb"), "-h", "127.0.0.1", "-p", str(self.port),
                          "-U", "crmgraph", "crmgraph"]  # fmt: skip
                subprocess.run(create, capture_output=True, check=False)
                return
            time.sleep(0.2)
        raise TimeoutError(f"PostgreSQL on {self.port} not up in {within}s")

    def stop(self) -> None:
        """The outage: the postmaster (its pid from postmaster.pid: runuser forks it) is
        killed with SIGKILL; its backends see it gone and exit, closing every connection."""
        pid_file = self.dir / "data" / "postmaster.pid"
        if pid_file.exists():
            pid = int(pid_file.read_text().split()[0])
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and _alive(pid):
                time.sleep(0.05)
        if self.process is not None:
            self.process.wait(timeout=10)

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True
