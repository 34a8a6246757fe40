"""`crmgraph secrets reencrypt`: every sealed column (crmgraph.db.sealed) of every row written
again with the first key of CRMGRAPH_SECRETS_KEY. Seals legacy plaintext, and finishes a key
rotation: afterwards the old key can leave the list."""

from __future__ import annotations

import argparse
import asyncio

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import attributes

from crmgraph.config import Settings
from crmgraph.db.models import Base
from crmgraph.db.sealed import Sealed, SealedList


async def reencrypt(session: AsyncSession) -> dict[str, int]:
    """Rows rewritten per table; the caller commits."""
    counts: dict[str, int] = {}
    for mapper in Base.registry.mappers:
        sealed = [
            attr.key
            for attr in mapper.column_attrs
            if any(isinstance(c.type, Sealed | SealedList) for c in attr.columns)
        ]
        if not sealed:
            continue
        rows = (await session.scalars(select(mapper.class_))).all()
        for row in rows:
            for key in sealed:
                if getattr(row, key) is not None:
                    # Unchanged plaintext is no change to the ORM: flag it, so it is sealed.
                    attributes.flag_modified(row, key)
        counts[str(mapper.class_.__tablename__)] = len(rows)
    await session.flush()
    return counts


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    secrets = commands.add_parser("secrets", help="stored secrets: encrypt again")
    actions = secrets.add_subparsers(required=True, metavar="ACTION")
    again = actions.add_parser(
        "reencrypt", help="seal every stored secret with the first CRMGRAPH_SECRETS_KEY key"
    )
    again.set_defaults(run=_reencrypt)


def _reencrypt(settings: Settings, _args: argparse.Namespace) -> int:
    from crmgraph.db.engine import create_engine, create_session_factory

    async def run() -> dict[str, int]:
        engine = create_engine(settings)
        try:
            async with create_session_factory(engine)() as session, session.begin():
                return await reencrypt(session)
        finally:
            await engine.dispose()

    for table, count in sorted(asyncio.run(run()).items()):
        print(f"{table}: {count} rows sealed with the first key")
    return 0
