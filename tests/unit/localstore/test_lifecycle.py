"""Creating a store (file modes, refusals) and rotating its master key."""

from __future__ import annotations

import sqlite3
import stat
from pathlib import Path

import pytest

from secrets_adapter.adapter import SecretsAdapter
from secrets_adapter.errors import (
    ConfigurationError,
    ConflictError,
    IntegrityError,
    ValidationError,
)
from secrets_adapter.localstore import (
    DB_FILE,
    KEY_FILE,
    PassphraseKey,
    RawKey,
    generate_master_key,
    init_store,
    parse_master_key,
    rotate_master_key,
)
from secrets_adapter.models import SecretValue
from secrets_adapter.providers.local import LocalProvider

PASSPHRASE = "correct horse battery staple"


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _rows(folder: Path) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(folder / DB_FILE)
    try:
        return conn.execute(
            "SELECT name, version_id, wrapped_key, nonce, ciphertext FROM versions ORDER BY seq"
        ).fetchall()
    finally:
        conn.close()


def _seed(folder: Path, **key: str) -> None:
    with LocalProvider.open(folder, **key) as provider:  # type: ignore[arg-type]
        provider.put("app/a", SecretValue("alpha"))
        provider.put("app/a", SecretValue("alpha 2"))
        provider.put("app/b", SecretValue(b"\x00binary"))


def _assert_seeded(provider: LocalProvider) -> None:
    assert provider.get("app/a").value.reveal() == "alpha 2"
    assert provider.get("app/b").value.reveal() == b"\x00binary"
    assert len(provider.describe("app/a").versions) == 2


# --- init -----------------------------------------------------------------------------------


def test_init_creates_folder_0700_database_0600_and_key_file_0600(tmp_path: Path) -> None:
    folder = tmp_path / "nested" / ".secrets"
    result = init_store(folder)
    assert result.key_file == folder / KEY_FILE
    assert result.key_kind == "raw"
    assert _mode(folder) == 0o700
    assert _mode(folder / DB_FILE) == 0o600
    assert _mode(folder / KEY_FILE) == 0o600
    with LocalProvider.open(folder) as provider:
        provider.put("app/x", SecretValue("v"))
        for suffix in ("-wal", "-shm"):  # SQLite gives its side files the database's mode
            side_file = folder / f"{DB_FILE}{suffix}"
            assert side_file.exists()
            assert _mode(side_file) == 0o600


def test_init_tightens_an_existing_empty_folder(tmp_path: Path) -> None:
    folder = tmp_path / "store"
    folder.mkdir(mode=0o755)
    init_store(folder)
    assert _mode(folder) == 0o700


def test_database_is_in_wal_mode(tmp_path: Path) -> None:
    init_store(tmp_path / "s")
    conn = sqlite3.connect(tmp_path / "s" / DB_FILE)
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    finally:
        conn.close()


def test_init_refuses_an_existing_store_and_leaves_it_intact(tmp_path: Path) -> None:
    folder = tmp_path / "s"
    init_store(folder)
    key_text = (folder / KEY_FILE).read_text()
    _seed(folder)
    with pytest.raises(ConflictError, match="exists already"):
        init_store(folder)
    with pytest.raises(ConflictError, match="exists already"):
        init_store(folder, master_key=generate_master_key().encoded())
    assert (folder / KEY_FILE).read_text() == key_text
    with LocalProvider.open(folder) as provider:
        _assert_seeded(provider)


def test_init_refuses_to_overwrite_a_lonely_key_file(tmp_path: Path) -> None:
    folder = tmp_path / "s"
    folder.mkdir()
    (folder / KEY_FILE).write_text("precious")
    with pytest.raises(ConflictError, match="only copy"):
        init_store(folder)
    assert (folder / KEY_FILE).read_text() == "precious"
    assert not (folder / DB_FILE).exists()


def test_init_with_a_given_key_writes_no_key_file(tmp_path: Path) -> None:
    key = generate_master_key().encoded()
    result = init_store(tmp_path / "s", master_key=key)
    assert result.key_file is None
    assert not (tmp_path / "s" / KEY_FILE).exists()
    _seed(tmp_path / "s", master_key=key)
    with LocalProvider.open(tmp_path / "s", master_key=key) as provider:
        _assert_seeded(provider)


def test_init_with_a_passphrase(tmp_path: Path) -> None:
    result = init_store(tmp_path / "s", passphrase=PASSPHRASE)
    assert result.key_kind == "passphrase"
    assert not (tmp_path / "s" / KEY_FILE).exists()
    _seed(tmp_path / "s", passphrase=PASSPHRASE)
    with LocalProvider.open(tmp_path / "s", passphrase=PASSPHRASE) as provider:
        _assert_seeded(provider)
    with pytest.raises(IntegrityError, match=r"Wrong master key.*passphrase"):
        LocalProvider.open(tmp_path / "s", passphrase="wrong horse battery staple")
    with pytest.raises(IntegrityError, match="Wrong master key"):
        LocalProvider.open(tmp_path / "s", master_key=generate_master_key().encoded())


def test_short_passphrase_is_refused_and_nothing_is_left(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="at least 12 characters"):
        init_store(tmp_path / "s", passphrase="short")
    assert not (tmp_path / "s").exists()
    init_store(tmp_path / "s", passphrase=PASSPHRASE)  # a retry works


def test_init_over_a_file_is_a_configuration_error(tmp_path: Path) -> None:
    (tmp_path / "s").write_text("not a folder")
    with pytest.raises(ConfigurationError, match="Cannot create the store folder"):
        init_store(tmp_path / "s")


def test_rotation_to_a_short_passphrase_changes_nothing(tmp_path: Path) -> None:
    key = generate_master_key()
    init_store(tmp_path / "s", master_key=key.encoded())
    _seed(tmp_path / "s", master_key=key.encoded())
    with pytest.raises(ValidationError, match="at least 12 characters"):
        rotate_master_key(tmp_path / "s", old=RawKey(key), new=PassphraseKey(SecretValue("short")))
    with LocalProvider.open(tmp_path / "s", master_key=key.encoded()) as provider:
        _assert_seeded(provider)


def test_init_refuses_key_and_passphrase_together(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="not both"):
        init_store(tmp_path / "s", master_key=generate_master_key().encoded(), passphrase="p" * 12)
    assert not (tmp_path / "s").exists()


def test_opening_without_any_key_says_where_keys_come_from(tmp_path: Path) -> None:
    init_store(tmp_path / "s", master_key=generate_master_key().encoded())
    with pytest.raises(ConfigurationError, match="SECRETS_ADAPTER_MASTER_KEY"):
        LocalProvider.open(tmp_path / "s")


def test_the_constructor_without_a_key_is_told_it_reads_no_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``SecretsAdapter(...)`` ignores SECRETS_ADAPTER_MASTER_KEY; the message must say so."""
    key = generate_master_key().encoded()
    init_store(tmp_path / "s", master_key=key)
    monkeypatch.setenv("SECRETS_ADAPTER_MASTER_KEY", key)
    with pytest.raises(ConfigurationError, match=r"from_env\(\).*master_key="):
        SecretsAdapter(backend="local", path=tmp_path / "s")
    assert SecretsAdapter(backend="local", path=tmp_path / "s", master_key=key).list_secrets() == []


# --- master key rotation --------------------------------------------------------------------


def test_rotation_rewraps_data_keys_and_leaves_values_untouched(tmp_path: Path) -> None:
    folder = tmp_path / "s"
    init_store(folder)
    _seed(folder)
    old = parse_master_key((folder / KEY_FILE).read_text())
    new = generate_master_key()
    before = _rows(folder)
    assert rotate_master_key(folder, old=RawKey(old), new=RawKey(new)) == 3
    after = _rows(folder)
    for row_before, row_after in zip(before, after, strict=True):
        assert row_before[:2] == row_after[:2]
        assert row_before[2] != row_after[2]  # wrapped data key changed
        assert row_before[3:] == row_after[3:]  # nonce and ciphertext did not
    with pytest.raises(IntegrityError, match="Wrong master key"):
        LocalProvider.open(folder, master_key=old.encoded())
    with LocalProvider.open(folder, master_key=new.encoded()) as provider:
        _assert_seeded(provider)


def test_rotation_between_key_and_passphrase(tmp_path: Path) -> None:
    folder = tmp_path / "s"
    key = generate_master_key()
    init_store(folder, master_key=key.encoded())
    _seed(folder, master_key=key.encoded())
    rotate_master_key(folder, old=RawKey(key), new=PassphraseKey(SecretValue(PASSPHRASE)))
    with pytest.raises(IntegrityError):
        LocalProvider.open(folder, master_key=key.encoded())
    with LocalProvider.open(folder, passphrase=PASSPHRASE) as provider:
        _assert_seeded(provider)
    final = generate_master_key()
    rotate_master_key(folder, old=PassphraseKey(SecretValue(PASSPHRASE)), new=RawKey(final))
    with pytest.raises(IntegrityError, match="raw key, not a passphrase"):
        LocalProvider.open(folder, passphrase=PASSPHRASE)
    with LocalProvider.open(folder, master_key=final.encoded()) as provider:
        _assert_seeded(provider)


def test_rotation_with_a_wrong_old_key_changes_nothing(tmp_path: Path) -> None:
    folder = tmp_path / "s"
    key = generate_master_key()
    init_store(folder, master_key=key.encoded())
    _seed(folder, master_key=key.encoded())
    before = _rows(folder)
    with pytest.raises(IntegrityError, match="Wrong master key"):
        rotate_master_key(
            folder, old=RawKey(generate_master_key()), new=RawKey(generate_master_key())
        )
    assert _rows(folder) == before
    with LocalProvider.open(folder, master_key=key.encoded()) as provider:
        _assert_seeded(provider)


def test_rotation_over_a_tampered_row_rolls_back_entirely(tmp_path: Path) -> None:
    folder = tmp_path / "s"
    key = generate_master_key()
    init_store(folder, master_key=key.encoded())
    _seed(folder, master_key=key.encoded())
    conn = sqlite3.connect(folder / DB_FILE)
    conn.execute("UPDATE versions SET wrapped_key = zeroblob(60) WHERE name = 'app/b'")
    conn.commit()
    conn.close()
    before = _rows(folder)
    new = generate_master_key()
    with pytest.raises(IntegrityError, match="app/b"):
        rotate_master_key(folder, old=RawKey(key), new=RawKey(new))
    assert _rows(folder) == before
    with pytest.raises(IntegrityError):
        LocalProvider.open(folder, master_key=new.encoded())
    with LocalProvider.open(folder, master_key=key.encoded()) as provider:
        assert provider.get("app/a").value.reveal() == "alpha 2"


def test_rotation_of_a_missing_store_says_to_run_init(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="secrets-adapter init"):
        rotate_master_key(
            tmp_path / "absent",
            old=RawKey(generate_master_key()),
            new=RawKey(generate_master_key()),
        )
    assert not (tmp_path / "absent").exists()
