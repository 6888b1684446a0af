"""The store's SQLite file: created 0600, WAL mode, one transaction per operation.

Every write runs in ``BEGIN IMMEDIATE``, which takes the database's write lock before the first
read, so a check-and-set sees the state it replaces and no update is lost between processes;
waiting writers queue on SQLite's busy timeout. SQLite's journal makes each transaction atomic: a
process killed mid-write leaves the old state or the new one, never a mix.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

from secrets_adapter.errors import (
    AccessDeniedError,
    ConfigurationError,
    IntegrityError,
    ProviderError,
    ProviderUnavailableError,
)

__all__ = ["DB_FILE", "KEY_FILE", "SCHEMA_VERSION", "Store", "Transaction", "missing_store_error"]

DB_FILE = "store.db"
KEY_FILE = "master.key"
SCHEMA_VERSION = "2"
# Version 1 had no metadata MACs; opening one adds the column and the MACs (see lifecycle).
OLD_SCHEMA_VERSIONS = ("1",)
DEFAULT_BUSY_TIMEOUT = timedelta(seconds=30)

_SCHEMA = """
CREATE TABLE meta (
    key TEXT PRIMARY KEY,
    value BLOB NOT NULL
);
CREATE TABLE secrets (
    name TEXT PRIMARY KEY,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    deletion_date INTEGER,
    tags TEXT NOT NULL DEFAULT '{}',
    mac BLOB
);
CREATE INDEX secrets_by_deletion ON secrets (deletion_date) WHERE deletion_date IS NOT NULL;
CREATE TABLE versions (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL REFERENCES secrets (name) ON DELETE CASCADE,
    version_id TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    is_binary INTEGER NOT NULL,
    wrapped_key BLOB NOT NULL,
    nonce BLOB NOT NULL,
    ciphertext BLOB NOT NULL,
    UNIQUE (name, version_id)
);
CREATE TABLE stages (
    name TEXT NOT NULL,
    stage TEXT NOT NULL,
    version_id TEXT NOT NULL,
    PRIMARY KEY (name, stage),
    FOREIGN KEY (name, version_id) REFERENCES versions (name, version_id) ON DELETE CASCADE
);
"""


def missing_store_error(folder: Path) -> ConfigurationError:
    return ConfigurationError(
        f"No secrets store at {str(folder)!r}: run `secrets-adapter init` to create one "
        "(or point SECRETS_ADAPTER_PATH / --path at an existing store)."
    )


@contextmanager
def translate_errors(folder: Path) -> Iterator[None]:
    """SQLite's errors in our tree: a locked database is transient, a corrupt file is not."""
    try:
        yield
    except sqlite3.OperationalError as exc:
        text = str(exc).lower()
        if "locked" in text or "busy" in text:
            raise ProviderUnavailableError(
                f"The store at {str(folder)!r} stayed locked by another writer past the busy "
                "timeout; try again.",
                provider="local",
            ) from exc
        if "unable to open" in text or "readonly" in text:
            raise AccessDeniedError(
                f"The store at {str(folder)!r} cannot be opened for writing ({exc}): check the "
                "folder's and store.db's owner and permissions.",
                provider="local",
            ) from exc
        if "disk" in text or "full" in text:
            raise ProviderUnavailableError(
                f"The store at {str(folder)!r} could not be written ({exc}); nothing changed.",
                provider="local",
            ) from exc
        raise IntegrityError(
            f"The store at {str(folder)!r} could not be read ({exc}); restore it from a backup.",
            provider="local",
        ) from exc
    except sqlite3.DatabaseError as exc:
        raise IntegrityError(
            f"The store at {str(folder)!r} is damaged or not a secrets-adapter store ({exc}); "
            "restore it from a backup.",
            provider="local",
        ) from exc


def _connection(folder: Path, busy_timeout: timedelta) -> sqlite3.Connection:
    """A connection in autocommit mode (we issue BEGIN/COMMIT), WAL, full sync, foreign keys."""
    with translate_errors(folder):
        conn = sqlite3.connect(
            folder / DB_FILE,
            timeout=busy_timeout.total_seconds(),
            isolation_level=None,
            check_same_thread=False,
        )
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = FULL")
            conn.execute("PRAGMA foreign_keys = ON")
            conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout.total_seconds() * 1000)}")
        except sqlite3.Error:
            conn.close()
            raise
    return conn


class Transaction:
    """The statements of one transaction; ``Store.write``/``Store.read`` hand one out."""

    __slots__ = ("_conn",)

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run a statement; the number of rows it changed."""
        return self._conn.execute(sql, params).rowcount

    def execute_many(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        """Run one statement for each row (a bulk write)."""
        self._conn.executemany(sql, rows)

    def one(self, sql: str, params: Sequence[Any] = ()) -> tuple[Any, ...] | None:
        row: tuple[Any, ...] | None = self._conn.execute(sql, params).fetchone()
        return row

    def all(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        rows: list[tuple[Any, ...]] = self._conn.execute(sql, params).fetchall()
        return rows

    def meta(self, key: str) -> bytes | None:
        row = self.one("SELECT value FROM meta WHERE key = ?", (key,))
        if row is None:
            return None
        value = row[0]
        return value if isinstance(value, bytes) else str(value).encode()

    def set_meta(self, key: str, value: bytes) -> None:
        self.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

    def delete_meta(self, key: str) -> None:
        self.execute("DELETE FROM meta WHERE key = ?", (key,))


class Store:
    """One open SQLite connection to a store folder, shared by threads under a lock.

    A forked child never touches its parent's connection (SQLite forbids carrying one across
    ``fork``): the first transaction in a new process opens its own.
    """

    def __init__(self, folder: Path, conn: sqlite3.Connection, busy_timeout: timedelta) -> None:
        self.folder = folder
        self._conn = conn
        self._busy_timeout = busy_timeout
        self._pid = os.getpid()
        self._lock = threading.RLock()
        self._closed = False
        self.upgrade_from: str | None = None  # an older schema the key holder must upgrade

    @classmethod
    def create(cls, folder: Path, *, busy_timeout: timedelta = DEFAULT_BUSY_TIMEOUT) -> Store:
        """Create the database file 0600 with its schema; refuse an existing one."""
        db_path = folder / DB_FILE
        fd = os.open(db_path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
        os.fchmod(fd, 0o600)
        os.close(fd)
        store = cls._connect(folder, busy_timeout)
        with store.write() as tx:
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    tx.execute(statement)
            tx.set_meta("schema_version", SCHEMA_VERSION.encode())
        return store

    @classmethod
    def open(cls, folder: Path, *, busy_timeout: timedelta = DEFAULT_BUSY_TIMEOUT) -> Store:
        """Open an existing store; a missing folder or file says to run ``init``."""
        if not (folder / DB_FILE).is_file():
            raise missing_store_error(folder)
        store = cls._connect(folder, busy_timeout)
        try:
            with store.read() as tx:
                version = tx.meta("schema_version")
        except IntegrityError:
            store.close()
            raise
        if version is not None and version.decode(errors="replace") in OLD_SCHEMA_VERSIONS:
            store.upgrade_from = version.decode()
        elif version != SCHEMA_VERSION.encode():
            store.close()
            raise IntegrityError(
                f"{str(folder / DB_FILE)!r} is not a complete secrets-adapter store "
                f"(schema {version!r}); restore it from a backup or run `secrets-adapter init` "
                "in an empty folder.",
                provider="local",
            )
        return store

    @classmethod
    def _connect(cls, folder: Path, busy_timeout: timedelta) -> Store:
        return cls(folder, _connection(folder, busy_timeout), busy_timeout)

    def _connection_for_this_process(self) -> sqlite3.Connection:
        if self._pid != os.getpid():  # forked: leave the parent's connection alone
            self._conn = _connection(self.folder, self._busy_timeout)
            self._pid = os.getpid()
        return self._conn

    @contextmanager
    def write(self) -> Iterator[Transaction]:
        """A write transaction holding the database lock from its first statement."""
        with self._transaction("BEGIN IMMEDIATE") as tx:
            yield tx

    @contextmanager
    def read(self) -> Iterator[Transaction]:
        """A read transaction: one consistent snapshot; never blocks or is blocked by writers."""
        with self._transaction("BEGIN") as tx:
            yield tx

    @contextmanager
    def _transaction(self, begin: str) -> Iterator[Transaction]:
        with self._lock, translate_errors(self.folder):
            if self._closed:
                raise ProviderError(
                    f"The store at {str(self.folder)!r} was closed; open it again.",
                    provider="local",
                )
            conn = self._connection_for_this_process()
            conn.execute(begin)
            try:
                yield Transaction(conn)
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def close(self) -> None:
        with self._lock:
            self._closed = True
            if self._pid == os.getpid():
                self._conn.close()

    def __repr__(self) -> str:
        return f"Store(folder={str(self.folder)!r})"
