"""The store's metadata is authenticated: stage labels, tags and deletion dates moved with plain
SQL (someone who can write store.db but has no key) are an IntegrityError on the next read and
refused by the next write; a rolled-back copy of the whole database is caught by the write
counter where the operator records it outside the store."""

from __future__ import annotations

import logging
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from secrets_adapter.errors import ConfigurationError, IntegrityError
from secrets_adapter.localstore import DB_FILE, RawKey, generate_master_key, init_store
from secrets_adapter.localstore.lifecycle import rotate_master_key
from secrets_adapter.models import SecretValue, Stage
from secrets_adapter.providers.local import LocalProvider

KEY = generate_master_key()
NAME = "gaara/prod/encryption-key"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    folder = tmp_path / "store"
    init_store(folder, master_key=KEY.encoded())
    return folder


@pytest.fixture
def provider(folder: Path) -> Iterator[LocalProvider]:
    with LocalProvider.open(folder, master_key=KEY.encoded()) as provider:
        yield provider


def _sql(folder: Path, statement: str, params: tuple[object, ...] = ()) -> None:
    conn = sqlite3.connect(folder / DB_FILE)
    try:
        conn.execute(statement, params)
        conn.commit()
    finally:
        conn.close()


def test_moving_current_back_to_a_retired_version_is_detected(
    provider: LocalProvider, folder: Path
) -> None:
    leaked = provider.put(NAME, SecretValue("leaked-key"))
    provider.put(NAME, SecretValue("replacement-key"))
    _sql(folder, "DELETE FROM stages WHERE name = ? AND stage = 'previous'", (NAME,))
    _sql(
        folder,
        "UPDATE stages SET version_id = ? WHERE name = ? AND stage = 'current'",
        (leaked.version_id, NAME),
    )
    for read in (
        lambda: provider.get(NAME),
        lambda: provider.get(NAME, stage=Stage.PREVIOUS),
        lambda: provider.describe(NAME),
    ):
        with pytest.raises(IntegrityError, match="failed authentication"):
            read()
    assert isinstance(provider.get_many([NAME])[NAME], IntegrityError)
    # a write does not bless the tampered state either
    with pytest.raises(IntegrityError):
        provider.put(NAME, SecretValue("another"))
    with pytest.raises(IntegrityError):
        provider.move_stage(NAME, Stage.CURRENT, to_version=leaked.version_id)
    with pytest.raises(IntegrityError):
        provider.set_tags(NAME, {"owner": "mallory"})


def test_changed_tags_and_a_cleared_deletion_date_are_detected(
    provider: LocalProvider, folder: Path
) -> None:
    provider.put(NAME, SecretValue("v"))
    provider.set_tags(NAME, {"secrets-adapter.rotator": "keyring"})
    assert provider.get(NAME).value.reveal() == "v"
    _sql(folder, """UPDATE secrets SET tags = '{"secrets-adapter.rotator": "random"}'""")
    with pytest.raises(IntegrityError):
        provider.get(NAME)

    provider.put("gaara/prod/old", SecretValue("retired"))
    provider.delete("gaara/prod/old")
    _sql(folder, "UPDATE secrets SET deletion_date = NULL WHERE name = 'gaara/prod/old'")
    with pytest.raises(IntegrityError):
        provider.get("gaara/prod/old")


def test_a_mac_copied_from_another_secret_does_not_fit(
    provider: LocalProvider, folder: Path
) -> None:
    provider.put("a/one", SecretValue("1"))
    provider.put("a/two", SecretValue("2"))
    _sql(
        folder,
        "UPDATE secrets SET mac = (SELECT mac FROM secrets WHERE name = 'a/one') "
        "WHERE name = 'a/two'",
    )
    assert provider.get("a/one").value.reveal() == "1"
    with pytest.raises(IntegrityError):
        provider.get("a/two")


def test_legitimate_writes_keep_the_metadata_valid(provider: LocalProvider) -> None:
    first = provider.put(NAME, SecretValue("1"))
    provider.put_version(NAME, SecretValue("2"), token="t-2")
    provider.move_stage(NAME, Stage.CURRENT, to_version="t-2", from_version=first.version_id)
    provider.set_tags(NAME, {"k": "v"})
    provider.put_many({NAME: SecretValue("3"), "b/new": SecretValue("n")})
    provider.delete("b/new")
    provider.restore("b/new")
    assert provider.get(NAME).value.reveal() == "3"
    assert provider.get("b/new").value.reveal() == "n"
    assert provider.describe(NAME).tags == {"k": "v"}


def test_a_rolled_back_database_is_detected_with_a_generation_file(
    folder: Path, tmp_path: Path
) -> None:
    counter = tmp_path / "outside" / "store.generation"
    provider = LocalProvider.open(folder, master_key=KEY.encoded(), generation_file=counter)
    provider.put(NAME, SecretValue("leaked-key"))
    provider.close()
    backup = tmp_path / "backup"
    shutil.copytree(folder, backup)  # the WAL was checkpointed on close: a whole copy
    provider = LocalProvider.open(folder, master_key=KEY.encoded(), generation_file=counter)
    provider.put(NAME, SecretValue("replacement-key"))
    provider.close()
    assert counter.read_text().strip() == "2"
    assert oct(counter.stat().st_mode & 0o777) == "0o600"
    shutil.rmtree(folder)
    shutil.copytree(backup, folder)  # an attacker restores the older copy, MACs and all
    # without the counter outside the store, the old copy is self-consistent: it opens
    with LocalProvider.open(folder, master_key=KEY.encoded()) as unaware:
        assert unaware.get(NAME).value.reveal() == "leaked-key"
    with pytest.raises(IntegrityError, match="rolled back"):
        LocalProvider.open(folder, master_key=KEY.encoded(), generation_file=counter)


def test_a_forged_write_counter_is_detected(provider: LocalProvider, folder: Path) -> None:
    provider.put(NAME, SecretValue("v"))
    _sql(folder, "UPDATE meta SET value = X'3939' WHERE key = 'generation'")
    with pytest.raises(IntegrityError, match="write counter"):
        provider.put(NAME, SecretValue("w"))


def test_rotating_the_master_key_reseals_the_metadata(folder: Path) -> None:
    with LocalProvider.open(folder, master_key=KEY.encoded()) as provider:
        provider.put(NAME, SecretValue("v"))
    new = generate_master_key()
    rotate_master_key(folder, old=RawKey(KEY), new=RawKey(new))
    with LocalProvider.open(folder, master_key=new.encoded()) as provider:
        assert provider.get(NAME).value.reveal() == "v"
        provider.put(NAME, SecretValue("w"))


def test_rotating_the_master_key_refuses_tampered_metadata(folder: Path) -> None:
    with LocalProvider.open(folder, master_key=KEY.encoded()) as provider:
        provider.put(NAME, SecretValue("v"))
    _sql(folder, """UPDATE secrets SET tags = '{"x": "y"}'""")
    with pytest.raises(IntegrityError):
        rotate_master_key(folder, old=RawKey(KEY), new=RawKey(generate_master_key()))


def test_a_schema_1_store_is_upgraded_and_says_so(
    folder: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with LocalProvider.open(folder, master_key=KEY.encoded()) as provider:
        provider.put(NAME, SecretValue("v"))
    # what a store written by secrets-adapter 0.1 looks like
    _sql(folder, "ALTER TABLE secrets DROP COLUMN mac")
    _sql(folder, "DELETE FROM meta WHERE key IN ('generation', 'generation_mac')")
    _sql(folder, "UPDATE meta SET value = X'31' WHERE key = 'schema_version'")
    with (
        caplog.at_level(logging.WARNING),
        LocalProvider.open(folder, master_key=KEY.encoded()) as provider,
    ):
        assert provider.get(NAME).value.reveal() == "v"
    assert "now authenticated as they were found" in caplog.text
    _sql(folder, """UPDATE secrets SET tags = '{"x": "y"}'""")
    with (
        LocalProvider.open(folder, master_key=KEY.encoded()) as provider,
        pytest.raises(IntegrityError),
    ):
        provider.get(NAME)


@pytest.mark.parametrize("mode", [0o777, 0o770, 0o702])
def test_a_store_folder_others_can_write_is_refused(folder: Path, mode: int) -> None:
    folder.chmod(mode)
    try:
        with pytest.raises(ConfigurationError, match="chmod 700"):
            LocalProvider.open(folder, master_key=KEY.encoded())
    finally:
        folder.chmod(0o700)


def test_a_store_folder_others_can_only_read_opens(folder: Path) -> None:
    folder.chmod(0o755)
    with LocalProvider.open(folder, master_key=KEY.encoded()) as provider:
        assert provider.list_names() == []


def test_the_bulk_import_mac_is_the_general_one() -> None:
    """put_many frames a new secret's MAC by hand; it must be the same bytes."""
    from secrets_adapter.localstore.metadata import new_secret_mac, secret_mac

    key = b"k" * 32
    general = secret_mac(key, name=NAME, labels={"v-1": ("current",)}, tags={}, deletion_date=None)
    assert new_secret_mac(key, name=NAME, version_id="v-1", stage="current") == general
