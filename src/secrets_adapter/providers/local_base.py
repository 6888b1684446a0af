"""The local store's transactions, the part every operation shares: each one checks the
metadata's MAC (stage labels, tags, deletion date) before it uses them, and each write checks
the store's write counter and advances it, so a rolled-back copy of the database is refused.

``LocalProvider`` (``providers.local``) adds the reads, ``LocalWrites`` (``providers.local_writes``)
the writes; this module owns the opened store, the clock and these checks.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import Self

from secrets_adapter.clock import WallClock, utcnow
from secrets_adapter.errors import (
    IntegrityError,
    SecretNotFoundError,
    SecretScheduledForDeletionError,
    ValidationError,
)
from secrets_adapter.localstore import records
from secrets_adapter.localstore.lifecycle import OpenedStore
from secrets_adapter.localstore.metadata import (
    GenerationFile,
    check_secret,
    read_generation,
    reseal_secret,
    write_generation,
)
from secrets_adapter.localstore.storage import Transaction
from secrets_adapter.models import Stage

__all__ = ["KIND", "LocalStoreBase", "check_max_versions"]

KIND = "local"


def check_max_versions(max_versions: int) -> None:
    if max_versions < 1:
        raise ValidationError(f"max_versions must be at least 1, got {max_versions}.")


class LocalStoreBase:
    """The opened store and its checked transactions; no public operation of its own."""

    def __init__(
        self,
        opened: OpenedStore,
        *,
        max_versions: int = 100,
        clock: WallClock = utcnow,
        generation_file: Path | None = None,
    ) -> None:
        check_max_versions(max_versions)
        self._opened = opened
        self._store = opened.store
        self._max_versions = max_versions
        self._clock = clock
        self._generation_file = None if generation_file is None else GenerationFile(generation_file)
        with self._store.read() as tx:
            self._seen_generation = read_generation(tx, opened.metadata_key, self._store.folder)
        self._check_generation(self._seen_generation)

    @property
    def kind(self) -> str:
        return KIND

    @property
    def path(self) -> Path:
        return self._store.folder

    def __repr__(self) -> str:
        return f"{type(self).__name__}(path={str(self._store.folder)!r})"

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._opened.close()

    def _labels(
        self,
        tx: Transaction,
        name: str,
        row: records.SecretRow | None = None,
        *,
        check: bool = True,
    ) -> dict[str, frozenset[Stage]]:
        """The secret's versions and their stages, after checking the metadata's MAC (``check``
        False only mid-write, after this transaction checked it and before it reseals)."""
        raw = records.labels_of(tx, name)
        row = row if row is not None or not check else records.load_secret(tx, name)
        if check and row is not None:
            check_secret(self._opened.metadata_key, row, raw)
        try:
            return {vid: frozenset(Stage(label) for label in labels) for vid, labels in raw.items()}
        except ValueError:
            raise IntegrityError(
                f"Secret {name!r} carries an unknown stage label: the store was modified "
                "outside secrets-adapter; restore it from a backup.",
                secret_name=name,
                provider=KIND,
            ) from None

    def _reseal(self, tx: Transaction, name: str) -> None:
        reseal_secret(tx, self._opened.metadata_key, name)

    @contextmanager
    def _writing(self) -> Iterator[Transaction]:
        """A write transaction that checks the store's write counter and advances it."""
        key, folder = self._opened.metadata_key, self._store.folder
        with self._store.write() as tx:
            generation = read_generation(tx, key, folder)
            self._check_generation(generation)
            yield tx
            generation += 1
            write_generation(tx, key, generation)
        self._seen_generation = max(self._seen_generation, generation)
        if self._generation_file is not None:
            self._generation_file.record(generation)

    def _check_generation(self, generation: int) -> None:
        if generation < self._seen_generation:
            raise IntegrityError(
                f"The store at {str(self._store.folder)!r} was rolled back while in use: its "
                f"write counter went from {self._seen_generation} to {generation}. An older "
                "copy of the database was put in place; restore the newest backup.",
                provider=KIND,
            )
        if self._generation_file is not None:
            self._generation_file.check(generation, self._store.folder)

    def _not_found(self, name: str, what: str = "") -> SecretNotFoundError:
        """Names the store's folder: a "not found" often means the wrong --path or folder."""
        if what:
            message = f"Secret {name!r} has no {what}; `secrets-adapter versions` lists them."
        else:
            message = (
                f"Secret {name!r} not found in the local store at {str(self._store.folder)!r}; "
                "`secrets-adapter list` shows the names it holds."
            )
        return SecretNotFoundError(message, secret_name=name, provider=KIND)

    def _live(self, tx: Transaction, name: str) -> records.SecretRow:
        """The secret's row if it can be read; not found, or scheduled for deletion."""
        row = records.load_secret(tx, name)
        if row is None:
            raise self._not_found(name)
        if row.deletion_date is not None:
            if row.deletion_date <= self._clock():
                raise self._not_found(name)
            raise SecretScheduledForDeletionError(
                f"Secret {name!r} is scheduled for deletion on {row.deletion_date:%Y-%m-%d}; "
                "restore it to read it again.",
                secret_name=name,
                provider=KIND,
            )
        return row
