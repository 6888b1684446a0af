"""SQLite's errors in our tree, and the store's refusal to be used once closed."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from secrets_adapter.errors import (
    AccessDeniedError,
    IntegrityError,
    ProviderError,
    ProviderUnavailableError,
    SecretsAdapterError,
)
from secrets_adapter.localstore import init_store
from secrets_adapter.localstore.storage import Store, translate_errors


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (sqlite3.OperationalError("database is locked"), ProviderUnavailableError),
        (sqlite3.OperationalError("unable to open database file"), AccessDeniedError),
        (sqlite3.OperationalError("attempt to write a readonly database"), AccessDeniedError),
        (sqlite3.OperationalError("database or disk is full"), ProviderUnavailableError),
        (sqlite3.OperationalError("no such table: meta"), IntegrityError),
        (sqlite3.DatabaseError("file is not a database"), IntegrityError),
    ],
)
def test_sqlite_errors_become_typed_errors(
    tmp_path: Path, error: sqlite3.Error, expected: type[SecretsAdapterError]
) -> None:
    with pytest.raises(expected) as info, translate_errors(tmp_path):
        raise error
    assert info.value.__cause__ is error
    assert info.value.provider == "local"


def test_a_closed_store_refuses_transactions(tmp_path: Path) -> None:
    init_store(tmp_path / "s")
    store = Store.open(tmp_path / "s")
    store.close()
    with pytest.raises(ProviderError, match="closed"), store.read():
        pass


def test_a_failed_write_rolls_back(tmp_path: Path) -> None:
    init_store(tmp_path / "s")
    store = Store.open(tmp_path / "s")
    with pytest.raises(RuntimeError), store.write() as tx:
        tx.set_meta("probe", b"1")
        raise RuntimeError("abort")
    with store.read() as tx:
        assert tx.meta("probe") is None
    store.close()
