"""Stored secrets' encryption without services: the key's rules in Settings (required
outside the embedded demo, validated), sealing, legacy plaintext, rotation, and the demo's
generated key file."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from pydantic import ValidationError

from crmgraph.config import Settings
from crmgraph.secrets_at_rest import PREFIX, Keyring, SecretsKeyError, keyring_for, new_key

PG = "postgresql+asyncpg://crmgraph@127.0.0.1:1/crmgraph"


@pytest.fixture(autouse=True)
def no_key_in_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CRMGRAPH_SECRETS_KEY", raising=False)


def test_the_key_is_required_with_postgresql() -> None:
    with pytest.raises(ValidationError, match="CRMGRAPH_SECRETS_KEY is required"):
        Settings(database_url=PG)

    assert Settings(database_url=PG, secrets_key=new_key()).secrets_keys


@pytest.mark.parametrize("bad", ["secret", "a" * 44, f"{new_key()},short"])
def test_a_key_that_is_not_a_fernet_key_is_refused(bad: str) -> None:
    with pytest.raises(ValidationError, match="32 bytes in URL-safe base64"):
        Settings(database_url=PG, secrets_key=bad)


def test_keys_are_a_comma_separated_list() -> None:
    first, second = new_key(), new_key()

    settings = Settings(database_url=PG, secrets_key=f" {first} , {second} ")

    assert settings.secrets_keys == [first, second]
    assert "secrets_key" not in repr(settings)


def test_sealed_values_differ_each_time_and_open_to_the_secret() -> None:
    keyring = Keyring([new_key()])

    one, two = keyring.seal("whsec_x"), keyring.seal("whsec_x")

    assert one != two and one.startswith(PREFIX) and "whsec_x" not in one
    assert keyring.open(one) == keyring.open(two) == "whsec_x"


def test_legacy_plaintext_reads_as_it_is() -> None:
    assert Keyring([new_key()]).open("whsec_written_before") == "whsec_written_before"


def test_rotation_first_key_seals_every_key_opens() -> None:
    old, new = new_key(), new_key()
    sealed_before = Keyring([old]).seal("s3cret")
    rotating = Keyring([new, old])

    sealed_after = rotating.seal("s3cret")

    assert rotating.open(sealed_before) == "s3cret"
    assert Keyring([new]).open(sealed_after) == "s3cret"
    with pytest.raises(SecretsKeyError, match="crmgraph secrets reencrypt"):
        Keyring([new]).open(sealed_before)


def test_the_embedded_demo_generates_its_key_once_beside_its_database(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path}/demo/crmgraph.db")

    sealed = keyring_for(settings).seal("demo-secret")
    again = keyring_for(settings)

    key_file = tmp_path / "demo" / "secrets.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert again.open(sealed) == "demo-secret"


def test_a_configured_key_wins_in_the_demo_too(tmp_path: Path) -> None:
    key = new_key()
    settings = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path}/c.db", secrets_key=key)

    sealed = keyring_for(settings).seal("x")

    assert Keyring([key]).open(sealed) == "x"
    assert not (tmp_path / "secrets.key").exists()
