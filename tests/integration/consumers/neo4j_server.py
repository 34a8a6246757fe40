"""A Neo4j server of one test's own, from the Neo4j `make services` assembles (.run/neo4j/lib):
stopping the shared one would break every other test run using it at the time."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

from neo4j import GraphDatabase

from tests.ports import free_port

ROOT = Path(__file__).resolve().parents[3]
LIB = ROOT / ".run" / "neo4j" / "lib"
JVM_FLAGS = ["-Xms256m", "-Xmx256m", "-XX:+UseG1GC", "--add-opens=java.base/java.nio=ALL-UNNAMED",
             "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED", "-Dfile.encoding=UTF-8"]  # fmt: skip


def _java() -> str:
    """Java 17 or 21, as scripts/services.sh picks it for Neo4j 5."""
    candidates = [os.environ.get("CRMGRAPH_NEO4J_JAVA_HOME", "")]
    candidates += sorted(str(p) for p in Path("/usr/lib/jvm").glob("*") if "-17-" in p.name
                         or "-21-" in p.name)  # fmt: skip
    for home in candidates:
        if home and (Path(home) / "bin" / "java").exists():
            return str(Path(home) / "bin" / "java")
    raise RuntimeError("no Java 17/21 for Neo4j (set CRMGRAPH_NEO4J_JAVA_HOME)")


class PrivateNeo4j:
    """Its data stays in workdir across stop() and start(), as a real server's would."""

    def __init__(self, workdir: Path) -> None:
        if not (LIB / ".crmgraph-version").exists():
            raise RuntimeError(f"{LIB} missing: run `make services` once to assemble Neo4j")
        self.home = workdir / "neo4j"
        self.port = free_port()
        self.uri = f"bolt://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None
        conf = self.home / "conf"
        conf.mkdir(parents=True, exist_ok=True)
        (conf / "neo4j.conf").write_text(
            "\n".join([
                "server.default_listen_address=127.0.0.1",
                f"server.bolt.listen_address=127.0.0.1:{self.port}",
                "server.http.enabled=false",
                "server.https.enabled=false",
                "dbms.security.auth_enabled=false",
                "dbms.usage_report.enabled=false",
                "server.memory.pagecache.size=32m",
                "internal.dbms.bolt.netty_server_shutdown_quiet_period=0",
            ]) + "\n"
        )  # fmt: skip

    def __enter__(self) -> PrivateNeo4j:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self, within: float = 240) -> None:
        with (self.home / "out.log").open("ab") as log:
            self.process = subprocess.Popen(
                [_java(), *JVM_FLAGS, "-cp", f"{LIB}/*", "org.neo4j.server.CommunityEntryPoint",
                 f"--home-dir={self.home}", f"--config-dir={self.home / 'conf'}"],
                stdout=log, stderr=log, cwd=self.home,
            )  # fmt: skip
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"Neo4j on {self.port} exited; see {self.home}/logs")
            try:
                with GraphDatabase.driver(self.uri, auth=("neo4j", "x")) as driver:
                    driver.execute_query("RETURN 1")
                return
            except Exception:  # not up yet: refused, or up but not serving
                time.sleep(0.5)
        raise TimeoutError(f"Neo4j on {self.port} not up in {within}s")

    def stop(self) -> None:
        """The outage: the server goes away at once (SIGKILL), connections and all."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=30)
