"""Column types whose values are encrypted at rest (crmgraph.secrets_at_rest): a secret is
one line in its model,

    client_secret: Mapped[str | None] = mapped_column(Sealed)
    tokens: Mapped[list[str]] = mapped_column(SealedList, default=list)

and `crmgraph secrets reencrypt` finds it by its type. Values are sealed on the way in and
opened on the way out with the keyring of the engine that runs the statement
(crmgraph.db.engine.create_engine attaches it), so Python code only ever sees plaintext.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Dialect, Text, TypeDecorator
from sqlalchemy.ext.asyncio import AsyncEngine

from crmgraph.db.types import JSONType
from crmgraph.secrets_at_rest import Keyring

_ATTRIBUTE = "crmgraph_keyring"


def attach(engine: AsyncEngine, keyring: Keyring) -> None:
    setattr(engine.sync_engine.dialect, _ATTRIBUTE, keyring)


def _keyring(dialect: Dialect) -> Keyring:
    keyring: Keyring | None = getattr(dialect, _ATTRIBUTE, None)
    if keyring is None:
        raise RuntimeError("sealed columns need an engine from crmgraph.db.engine.create_engine")
    return keyring


class Sealed(TypeDecorator[str]):
    """A secret string, stored as a Fernet token."""

    impl = Text
    cache_ok = True

    @property
    def python_type(self) -> type[str]:
        return str

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else _keyring(dialect).seal(value)

    def process_result_value(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else _keyring(dialect).open(value)


class SealedList(TypeDecorator[list[str]]):
    """A list of secret strings, stored as a JSON list of Fernet tokens."""

    impl = JSONType
    cache_ok = True

    @property
    def python_type(self) -> type[list[str]]:
        return list

    def process_bind_param(self, value: list[str] | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        keyring = _keyring(dialect)
        return [keyring.seal(v) for v in value]

    def process_result_value(self, value: Any, dialect: Dialect) -> list[str] | None:
        if value is None:
            return None
        keyring = _keyring(dialect)
        return [keyring.open(v) for v in value]
