"""`python -m crmgraph.coprocessor --socket PATH`: the native router's coprocessor, configured
by the variables the router reads (CRMGRAPH_RATE_LIMITS, REDIS_URL, CRMGRAPH_AUTH_URL,
CRMGRAPH_ROUTER_SECRET), until SIGTERM or SIGINT."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
from collections.abc import Sequence
from pathlib import Path

from crmgraph.config import Settings
from crmgraph.coprocessor.limits import RateLimits
from crmgraph.coprocessor.server import serve


async def run(socket: Path, settings: Settings) -> None:
    limits = RateLimits(settings)
    server = await serve(socket, limits.answer)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        server.close()
        await limits.close()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(socket)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m crmgraph.coprocessor", description=__doc__)
    parser.add_argument("--socket", type=Path, required=True)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # not a line per question
    # It opens no database: the database's own requirements (CRMGRAPH_SECRETS_KEY) do not apply.
    settings = Settings(database_url="sqlite+aiosqlite:///:memory:")
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop is a pinned dependency
        asyncio.run(run(args.socket, settings))
    else:
        uvloop.run(run(args.socket, settings))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
