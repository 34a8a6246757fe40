"""`python -m scaleout`: start the scale-out layout, print it as one JSON line (every
process's tier, pid and port, and each tier's address), run until SIGTERM or Ctrl-C.

    python -m scaleout --routers 2 --processes 2 --rest 2 --workers 2 --migrate

The environment gives the servers' settings (DATABASE_URL, REDIS_URL, NEO4J_*, JWT_SECRET
or JWT_JWKS_URL, CRMGRAPH_SECRETS_KEY); the router secret is made afresh.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import sys
from pathlib import Path

from scaleout.layout import ROOT, Layout, start


def parse_counts(text: str) -> dict[str, int]:
    """Per-subgraph counts: "deals=3,contacts=1" -> {"deals": 3, "contacts": 1}."""
    counts = {}
    for part in filter(None, text.split(",")):
        name, _, number = part.partition("=")
        counts[name.strip()] = int(number)
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scaleout", description=__doc__)
    parser.add_argument("--routers", type=int, default=2)
    parser.add_argument("--processes", type=int, default=2, help="of each subgraph")
    parser.add_argument("--subgraph", default="", help="per subgraph, e.g. deals=3,leads=1")
    parser.add_argument("--rest", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--workdir", type=Path, default=ROOT / ".run" / "scaleout")
    parser.add_argument("--migrate", action="store_true", help="migrate DATABASE_URL first")
    args = parser.parse_args(argv)
    if args.migrate:
        from crmgraph.config import Settings
        from crmgraph.db.migrate import upgrade

        asyncio.run(upgrade(Settings()))
    layout = Layout(routers=args.routers, processes=args.processes,
                    subgraphs=parse_counts(args.subgraph), rest=args.rest,
                    workers=args.workers)  # fmt: skip
    stopping = False

    def on_signal(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    with start(layout, dict(os.environ), args.workdir) as cluster:
        print(json.dumps(cluster.describe()), flush=True)
        while not stopping:
            signal.pause()
    return 0


if __name__ == "__main__":
    sys.exit(main())
