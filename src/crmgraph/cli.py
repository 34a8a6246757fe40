"""The `crmgraph` command: serve, worker, migrate, seed, token, schema, check, zoho, graph."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Coroutine, Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from crmgraph.config import Settings, load_settings
from crmgraph.errors import ConfigurationError, ServiceUnavailable
from subgraphs.registry import NAMES


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    try:
        settings = load_settings()
    except ValidationError as exc:
        for error in exc.errors():
            # A validator's own words, without pydantic's "Value error, " in front.
            message = str(error.get("ctx", {}).get("error", error["msg"]))
            where = f"invalid {str(error['loc'][0]).upper()}: " if error["loc"] else ""
            print(f"crmgraph: {where}{message}", file=sys.stderr)
        return 2
    try:
        code: int = args.run(settings, args)
    except (ConfigurationError, ServiceUnavailable) as exc:
        print(f"crmgraph: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return code


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="crmgraph", description=__doc__)
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    serve = commands.add_parser(
        "serve", help="run subgraphs (they need CRMGRAPH_ROUTER_SECRET) and the REST shim"
    )
    serve.add_argument(
        "names",
        nargs="*",
        choices=[*NAMES, []],
        metavar="SUBGRAPH",
        help=f"subgraphs to run: {', '.join(NAMES)}",
    )
    serve.add_argument("--all", action="store_true", help="all six subgraphs and the REST shim")
    serve.add_argument("--rest", action="store_true", help="also run the REST shim")
    serve.add_argument(
        "--port", type=int, default=None, help="one subgraph only; default: its registry port"
    )
    serve.add_argument(
        "--reuse-port",
        action="store_true",
        help="bind with SO_REUSEPORT: start several such processes to share a port (workers)",
    )
    serve.set_defaults(run=_serve)

    worker = commands.add_parser(
        "worker", help="run only the outbox consumers (the Redis publisher, ...); start any number"
    )
    worker.set_defaults(run=_worker)

    migrate = commands.add_parser("migrate", help="apply database migrations")
    migrate.add_argument("--revision", default="head")
    migrate.set_defaults(run=_migrate)

    seed = commands.add_parser(
        "seed", help="load the demo tenant when it is empty, or (--scale) a benchmark data set"
    )
    seed.add_argument(
        "--scale", type=float, default=None, help="1 = 10 tenants, 200,000 deals, ... (COPY)"
    )
    seed.add_argument("--seed", type=int, default=42, help="random seed of --scale")
    seed.add_argument(
        "--tenants", type=int, default=None, help="tenants of --scale's rows (default 10)"
    )
    seed.set_defaults(run=_seed)

    token = commands.add_parser("token", help="print a JWT for local development or tests")
    token.add_argument("--tenant", default="demo")
    token.add_argument("--user", default=None, help="the sub claim (a user id); default dev:TENANT")
    token.add_argument("--role", action="append", default=None,
                       help="repeatable; default tenant_admin")  # fmt: skip
    token.add_argument("--permission", action="append", default=None, help="repeatable")
    token.add_argument("--hours", type=float, default=12.0)
    token.set_defaults(run=_token)

    schema = commands.add_parser("schema", help="write each subgraph's SDL")
    schema.add_argument("--out", type=Path, default=Path("schema"))
    schema.set_defaults(run=_schema)

    check = commands.add_parser("check", help="check that the configured services answer")
    check.set_defaults(run=_check)

    from crmgraph.db.reseal import add_parser as add_secrets
    from crmgraph.graph.cli import add_parser as add_graph
    from crmgraph.zoho.cli import add_parser as add_zoho

    add_zoho(commands)
    add_secrets(commands)
    add_graph(commands)
    return parser


def run_fast(main: Coroutine[Any, Any, None]) -> None:
    """Long-running servers run on uvloop: its event loop and transports cost less CPU per
    request than asyncio's selector loop (measured in bench/README.md)."""
    import uvloop

    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        runner.run(main)


def _serve(settings: Settings, args: argparse.Namespace) -> int:
    from crmgraph.server import serve

    names = list(NAMES) if args.all else list(args.names)
    if not names and not args.rest:
        print("crmgraph serve: name a subgraph, or pass --all", file=sys.stderr)
        return 2
    if args.port is not None and len(names) != 1:
        print("crmgraph serve: --port needs exactly one subgraph", file=sys.stderr)
        return 2
    ports = {names[0]: args.port} if args.port is not None else None
    run_fast(
        serve(settings, names, rest=args.all or args.rest, ports=ports, reuse_port=args.reuse_port)
    )
    return 0


def _worker(settings: Settings, args: argparse.Namespace) -> int:
    from crmgraph.server import worker

    run_fast(worker(settings))
    return 0


def _migrate(settings: Settings, args: argparse.Namespace) -> int:
    from crmgraph.db.engine import create_engine, ping
    from crmgraph.db.migrate import upgrade

    async def run() -> None:
        engine = create_engine(settings)
        try:
            await ping(engine)
        finally:
            await engine.dispose()
        await upgrade(settings, args.revision)

    asyncio.run(run())
    print(f"crmgraph: database at revision {args.revision}")
    return 0


def _seed(settings: Settings, args: argparse.Namespace) -> int:
    from crmgraph.db.engine import create_engine, create_session_factory, ping
    from crmgraph.demo import DEMO_TENANT, load_demo

    if args.scale is not None:
        return _seed_scale(settings, args)

    from crmgraph import demo_integrations

    async def run() -> tuple[bool, list[str]]:
        engine = create_engine(settings)
        try:
            await ping(engine)
            sessions = create_session_factory(engine)
            loaded = await load_demo(sessions, settings)
            if not demo_integrations.allowed(settings):
                return loaded, []
            async with sessions() as session:
                return loaded, await demo_integrations.describe(session, DEMO_TENANT)
        finally:
            await engine.dispose()

    loaded, lines = asyncio.run(run())
    print(f"crmgraph: demo tenant {DEMO_TENANT!r} " + ("loaded" if loaded else "already has data"))
    if not demo_integrations.allowed(settings):
        print("crmgraph: the demo's Zoho organisation and webhook (known secrets) are left out: "
              "only the embedded mode on loopback loads them")  # fmt: skip
    for line in lines:
        print(f"crmgraph: {line}")
    return 0


def _seed_scale(settings: Settings, args: argparse.Namespace) -> int:
    from crmgraph.dataset import load, stderr_progress
    from crmgraph.db.engine import create_engine, ping

    async def run() -> None:
        engine = create_engine(settings)
        try:
            await ping(engine)
            report = await load(
                engine, scale=args.scale, seed=args.seed, progress=stderr_progress,
                tenants=args.tenants,
            )  # fmt: skip
        finally:
            await engine.dispose()
        total = sum(report.rows.values())
        print(f"\ncrmgraph: {total:,} rows in {report.seconds:.1f} s "
              f"({report.rows_per_second:,.0f} rows/s)")  # fmt: skip

    try:
        asyncio.run(run())
    except ValueError as exc:
        print(f"crmgraph seed: {exc}", file=sys.stderr)
        return 2
    return 0


def _token(settings: Settings, args: argparse.Namespace) -> int:
    from datetime import timedelta

    from crmgraph.auth.tokens import issue_token
    from crmgraph.config import DEV_JWT_SECRET

    if not (settings.jwt_secret or settings.jwt_private_key):
        # Same key `make run` configures the servers with; say so, since others won't accept it.
        print("crmgraph: no JWT_SECRET/JWT_PRIVATE_KEY set; signing with the development key",
              file=sys.stderr)  # fmt: skip
        settings = settings.model_copy(update={"jwt_secret": DEV_JWT_SECRET})
    token = issue_token(
        settings,
        tenant_id=args.tenant,
        subject=args.user or f"dev:{args.tenant}",
        roles=tuple(args.role or ["tenant_admin"]),
        permissions=tuple(args.permission or ()),
        ttl=timedelta(hours=args.hours),
    )
    print(token)
    return 0


def _schema(settings: Settings, args: argparse.Namespace) -> int:
    from subgraphs.registry import load_schema

    args.out.mkdir(parents=True, exist_ok=True)
    for name in NAMES:
        (args.out / f"{name}.graphql").write_text(load_schema(name).as_str() + "\n")
    print(f"crmgraph: wrote {len(NAMES)} subgraph schemas to {args.out}/")
    return 0


def _check(settings: Settings, args: argparse.Namespace) -> int:
    from crmgraph.runtime import Runtime

    async def run() -> bool:
        runtime = await Runtime.open(settings)
        try:
            checks = await runtime.health()
        finally:
            await runtime.close()
        for c in checks:
            print(f"{c.service:9} {'up' if c.ok else 'DOWN':5} {c.url}  {c.detail}")
        return all(c.ok for c in checks)

    return 0 if asyncio.run(run()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
