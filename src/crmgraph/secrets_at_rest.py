"""Stored secrets encrypted at rest (Fernet: AES-128-CBC + HMAC-SHA256, from `cryptography`).

The keys are CRMGRAPH_SECRETS_KEY, comma-separated: the first encrypts, every one decrypts,
so a key is rotated by putting a new one first, running `crmgraph secrets reencrypt`, then
dropping the old one. A stored value is PREFIX + a Fernet token; a value without PREFIX is
legacy plaintext (written before encryption), read as it is until `reencrypt` seals it.
Outside the embedded demo the key is required (Settings refuses to start without it); the
demo keeps a generated key in a file beside its SQLite database and says so.

Columns use crmgraph.db.sealed (Sealed, SealedList); each engine carries its keyring.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy.engine import make_url

from crmgraph.config import Mode, Settings

log = logging.getLogger("crmgraph.secrets")

PREFIX = "fernet:"
KEY_FILE = "secrets.key"


class SecretsKeyError(RuntimeError):
    """A stored secret that no configured key opens (a key dropped before `reencrypt`)."""


class Keyring:
    def __init__(self, keys: Sequence[str]) -> None:
        if not keys:
            raise ValueError("a keyring needs at least one key")
        self._fernet = MultiFernet([Fernet(k.encode()) for k in keys])

    def seal(self, plain: str) -> str:
        return PREFIX + self._fernet.encrypt(plain.encode()).decode()

    def open(self, stored: str) -> str:
        if not stored.startswith(PREFIX):
            return stored  # legacy plaintext
        try:
            return self._fernet.decrypt(stored[len(PREFIX) :].encode()).decode()
        except InvalidToken as exc:
            raise SecretsKeyError(
                "no key in CRMGRAPH_SECRETS_KEY opens a stored secret: keep the old key in the "
                "list (after the new one) until `crmgraph secrets reencrypt` has run"
            ) from exc


def new_key() -> str:
    return Fernet.generate_key().decode()


def keyring_for(settings: Settings) -> Keyring:
    """CRMGRAPH_SECRETS_KEY's keys; in the embedded demo without it, the key file beside the
    SQLite database (made on first use), or a key for this process alone (in memory)."""
    if settings.secrets_keys:
        return Keyring(settings.secrets_keys)
    if settings.mode is not Mode.EMBEDDED:  # Settings refuses this; kept for the type
        raise ValueError("CRMGRAPH_SECRETS_KEY is required outside the embedded demo")
    database = make_url(settings.database_url).database
    if not database or database == ":memory:":
        return Keyring([new_key()])
    return Keyring([_demo_key(Path(database).parent / KEY_FILE)])


def _demo_key(path: Path) -> str:
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = new_key()
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as out:
        out.write(key + "\n")
    log.warning(
        "CRMGRAPH_SECRETS_KEY is not set: the embedded demo encrypts stored secrets with a key "
        "generated in %s (set CRMGRAPH_SECRETS_KEY outside the demo)",
        path,
    )
    return key
