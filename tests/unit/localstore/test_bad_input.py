"""Bad input against the store: each a typed error, nothing written, the value never shown.

Tampering is done the way an attacker with the database file would: with plain SQL.
"""

from __future__ import annotations

import sqlite3
import traceback
from collections.abc import Iterator
from pathlib import Path

import pytest

from secrets_adapter.errors import (
    ConfigurationError,
    IntegrityError,
    SecretsAdapterError,
)
from secrets_adapter.localstore import DB_FILE, generate_master_key, init_store
from secrets_adapter.models import SecretValue
from secrets_adapter.providers.local import LocalProvider
from tests.sentinel import SENTINEL

KEY = generate_master_key().encoded()


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    folder = tmp_path / "store"
    init_store(folder, master_key=KEY)
    return folder


@pytest.fixture
def provider(folder: Path) -> Iterator[LocalProvider]:
    with LocalProvider.open(folder, master_key=KEY) as provider:
        yield provider


def _sql(folder: Path, statement: str, params: tuple[object, ...] = ()) -> None:
    conn = sqlite3.connect(folder / DB_FILE)
    try:
        conn.execute(statement, params)
        conn.commit()
    finally:
        conn.close()


def _flip_byte(folder: Path, column: str, index: int = 5) -> None:
    """Flip one bit of ``column`` in every version row, keeping it a BLOB."""
    conn = sqlite3.connect(folder / DB_FILE)
    try:
        rows = conn.execute(f"SELECT seq, {column} FROM versions").fetchall()  # noqa: S608
        for seq, data in rows:
            flipped = data[:index] + bytes([data[index] ^ 0x01]) + data[index + 1 :]
            conn.execute(f"UPDATE versions SET {column} = ? WHERE seq = ?", (flipped, seq))  # noqa: S608
        conn.commit()
    finally:
        conn.close()


def _snapshot(folder: Path) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(folder / DB_FILE)
    try:
        rows: list[tuple[object, ...]] = []
        for table in ("meta", "secrets", "versions", "stages"):
            rows.extend(conn.execute(f"SELECT * FROM {table}").fetchall())  # noqa: S608
        return rows
    finally:
        conn.close()


def _assert_no_sentinel(error: BaseException) -> None:
    """Not in the message, the repr, nor anywhere in the formatted exception chain."""
    assert SENTINEL not in str(error)
    assert SENTINEL not in repr(error)
    assert SENTINEL not in "".join(traceback.format_exception(error))
    cause: BaseException | None = error
    while cause is not None:
        assert SENTINEL not in repr(cause.args)
        cause = cause.__cause__ or cause.__context__


def test_tampered_ciphertext_is_an_integrity_error(folder: Path, provider: LocalProvider) -> None:
    provider.put("app/db", SecretValue(SENTINEL))
    _flip_byte(folder, "ciphertext")
    before = _snapshot(folder)
    with pytest.raises(IntegrityError, match="failed authentication") as info:
        provider.get("app/db")
    _assert_no_sentinel(info.value)
    assert info.value.secret_name == "app/db"
    assert _snapshot(folder) == before


def test_ciphertext_swapped_between_secrets_fails(folder: Path, provider: LocalProvider) -> None:
    provider.put("app/one", SecretValue(SENTINEL))
    provider.put("app/two", SecretValue("two"))
    _sql(
        folder,
        "UPDATE versions SET (wrapped_key, nonce, ciphertext) = (SELECT wrapped_key, nonce, "
        "ciphertext FROM versions WHERE name = 'app/one') WHERE name = 'app/two'",
    )
    before = _snapshot(folder)
    with pytest.raises(IntegrityError) as info:
        provider.get("app/two")
    _assert_no_sentinel(info.value)
    assert provider.get("app/one").value.reveal() == SENTINEL
    result = provider.get_many(["app/one", "app/two"])
    assert isinstance(result["app/two"], IntegrityError)
    assert not isinstance(result["app/one"], SecretsAdapterError)
    assert _snapshot(folder) == before


def test_ciphertext_swapped_between_versions_fails(folder: Path, provider: LocalProvider) -> None:
    old = provider.put("app/db", SecretValue(SENTINEL))
    new = provider.put("app/db", SecretValue("rotated"))
    _sql(
        folder,
        "UPDATE versions SET (wrapped_key, nonce, ciphertext) = (SELECT wrapped_key, nonce, "
        "ciphertext FROM versions WHERE version_id = ?) WHERE version_id = ?",
        (old.version_id, new.version_id),
    )
    with pytest.raises(IntegrityError) as info:
        provider.get("app/db")
    _assert_no_sentinel(info.value)
    assert provider.get("app/db", version=old.version_id).value.reveal() == SENTINEL


def test_renamed_row_fails(folder: Path, provider: LocalProvider) -> None:
    """Relabelling a version under another id does not make its ciphertext readable there."""
    first = provider.put("app/db", SecretValue(SENTINEL))
    for table in ("stages", "versions"):
        _sql(
            folder,
            f"UPDATE {table} SET version_id = 'forged' WHERE version_id = ?",  # noqa: S608
            (first.version_id,),
        )
    with pytest.raises(IntegrityError) as info:
        provider.get("app/db")
    _assert_no_sentinel(info.value)


@pytest.mark.parametrize("column", ["wrapped_key", "nonce"])
def test_tampered_data_key_or_nonce_fails(
    folder: Path, provider: LocalProvider, column: str
) -> None:
    provider.put("app/db", SecretValue(SENTINEL))
    _flip_byte(folder, column)
    with pytest.raises(IntegrityError) as info:
        provider.get("app/db")
    _assert_no_sentinel(info.value)


def test_column_of_the_wrong_type_fails(folder: Path, provider: LocalProvider) -> None:
    provider.put("app/db", SecretValue(SENTINEL))
    _sql(folder, "UPDATE versions SET ciphertext = 'text, not bytes'")
    with pytest.raises(IntegrityError, match="wrong column types"):
        provider.get("app/db")


def test_flipped_binary_flag_fails(folder: Path, provider: LocalProvider) -> None:
    provider.put("app/db", SecretValue(SENTINEL))
    _sql(folder, "UPDATE versions SET is_binary = 1")
    with pytest.raises(IntegrityError) as info:
        provider.get("app/db")
    _assert_no_sentinel(info.value)


def test_idempotent_put_version_over_a_tampered_version_writes_nothing(
    folder: Path, provider: LocalProvider
) -> None:
    provider.put("app/db", SecretValue("v1"))
    provider.put_version("app/db", SecretValue(SENTINEL), token="token-1")
    _flip_byte(folder, "ciphertext", 0)
    before = _snapshot(folder)
    with pytest.raises(IntegrityError) as info:
        provider.put_version("app/db", SecretValue(SENTINEL), token="token-1")
    _assert_no_sentinel(info.value)
    assert _snapshot(folder) == before


def test_wrong_master_key_is_refused_before_any_read(folder: Path) -> None:
    with LocalProvider.open(folder, master_key=KEY) as provider:
        provider.put("app/db", SecretValue(SENTINEL))
    before = _snapshot(folder)
    wrong = generate_master_key().encoded()
    with pytest.raises(IntegrityError, match="Wrong master key") as info:
        LocalProvider.open(folder, master_key=wrong)
    _assert_no_sentinel(info.value)
    assert wrong not in str(info.value)
    assert KEY not in str(info.value)
    assert _snapshot(folder) == before


def test_tampered_key_check_is_a_wrong_key(folder: Path) -> None:
    _sql(folder, "UPDATE meta SET value = zeroblob(60) WHERE key = 'key_check'")
    with pytest.raises(IntegrityError, match="Wrong master key"):
        LocalProvider.open(folder, master_key=KEY)


def test_missing_store_says_to_run_init_and_creates_nothing(tmp_path: Path) -> None:
    absent = tmp_path / "absent"
    with pytest.raises(ConfigurationError, match="secrets-adapter init"):
        LocalProvider.open(absent, master_key=KEY)
    assert not absent.exists()
    absent.mkdir()
    with pytest.raises(ConfigurationError, match="secrets-adapter init"):
        LocalProvider.open(absent, master_key=KEY)
    assert list(absent.iterdir()) == []


def test_a_file_that_is_not_a_database_is_an_integrity_error(tmp_path: Path) -> None:
    folder = tmp_path / "store"
    folder.mkdir()
    (folder / DB_FILE).write_bytes(b"this is not a database, just some bytes " * 100)
    with pytest.raises(IntegrityError, match="damaged or not a secrets-adapter store"):
        LocalProvider.open(folder, master_key=KEY)


def test_a_database_without_our_schema_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "store"
    folder.mkdir()
    conn = sqlite3.connect(folder / DB_FILE)
    conn.execute("CREATE TABLE unrelated (x)")
    conn.commit()
    conn.close()
    with pytest.raises(IntegrityError):
        LocalProvider.open(folder, master_key=KEY)


def test_invalid_key_text_is_a_configuration_error_without_echo(folder: Path) -> None:
    with pytest.raises(ConfigurationError, match="base64") as info:
        LocalProvider.open(folder, master_key=SENTINEL)
    _assert_no_sentinel(info.value)


def test_values_are_never_on_disk_in_clear(folder: Path) -> None:
    with LocalProvider.open(folder, master_key=KEY) as provider:
        provider.put("app/db", SecretValue(SENTINEL))
        provider.put_version("app/db", SecretValue(SENTINEL + "-next"), token="tok")
        on_disk = b"".join(path.read_bytes() for path in folder.iterdir())
        assert b"app/db" in on_disk  # names are metadata, stored in clear
        assert SENTINEL.encode() not in on_disk
    on_disk = b"".join(path.read_bytes() for path in folder.iterdir())
    assert SENTINEL.encode() not in on_disk
