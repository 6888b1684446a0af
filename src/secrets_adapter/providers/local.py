"""``LocalProvider``: the embedded encrypted store (``local``), the default backend.

Same semantics as ``secrets_adapter.testing.InMemoryProvider``, kept in one SQLite file (see
``secrets_adapter.localstore``): each operation is one transaction, writes take the database lock
before they read, so check-and-set holds across processes and a killed process leaves the old
state or the new one. This module opens the store and reads it; the writes are in
``local_writes``, the checked transactions both use in ``local_base``.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from secrets_adapter.clock import WallClock, utcnow
from secrets_adapter.config import LocalSettings
from secrets_adapter.errors import SecretsAdapterError
from secrets_adapter.localstore import records
from secrets_adapter.localstore.lifecycle import key_source_from_settings, open_store
from secrets_adapter.localstore.storage import Transaction, missing_store_error
from secrets_adapter.models import Secret, SecretMetadata, SecretValue, Stage, VersionInfo
from secrets_adapter.providers.base import BatchResult
from secrets_adapter.providers.local_base import check_max_versions
from secrets_adapter.providers.local_writes import LocalWrites
from secrets_adapter.providers.staging import holder_of
from secrets_adapter.validation import validate_name

__all__ = ["LocalProvider"]


class LocalProvider(LocalWrites):
    """A ``VersionedProvider`` over the embedded encrypted store in one folder."""

    @classmethod
    def open(
        cls,
        path: str | os.PathLike[str] = ".secrets",
        *,
        master_key: str | SecretValue | None = None,
        master_key_file: str | os.PathLike[str] | None = None,
        passphrase: str | SecretValue | None = None,
        max_versions: int = 100,
        clock: WallClock = utcnow,
        generation_file: str | os.PathLike[str] | None = None,
    ) -> LocalProvider:
        """Open the store in ``path`` (see ``from_settings`` for where the key comes from).
        ``generation_file``: where the store's write counter is recorded, outside it, so that a
        rolled-back copy of the database is refused."""
        settings = LocalSettings(
            path=Path(path),
            master_key=None if master_key is None else SecretValue(master_key),
            master_key_file=None if master_key_file is None else Path(master_key_file),
            passphrase=None if passphrase is None else SecretValue(passphrase),
            max_versions=max_versions,
            generation_file=None if generation_file is None else Path(generation_file),
        )
        return cls.from_settings(settings, clock=clock)

    @classmethod
    def from_settings(cls, settings: LocalSettings, *, clock: WallClock = utcnow) -> LocalProvider:
        """Open the store; the key is the first of: master_key, master_key_file, passphrase,
        ``<path>/master.key``. A wrong key is an ``IntegrityError`` before any read."""
        check_max_versions(settings.max_versions)
        if not settings.path.is_dir():
            raise missing_store_error(settings.path)
        opened = open_store(settings.path, key_source_from_settings(settings))
        try:
            return cls(
                opened,
                max_versions=settings.max_versions,
                clock=clock,
                generation_file=settings.generation_file,
            )
        except BaseException:
            opened.close()
            raise

    # --- reads -------------------------------------------------------------------------------

    def _get(self, tx: Transaction, name: str, version: str | None, stage: Stage) -> Secret:
        validate_name(name)
        labels = self._labels(tx, name, self._live(tx, name))
        version_id = version if version is not None else holder_of(labels, stage)
        row = None if version_id is None else records.load_version(tx, name, version_id)
        if row is None or version_id is None:
            wanted = f"version {version!r}" if version is not None else f"stage {stage.value!r}"
            raise self._not_found(name, wanted)
        data = self._opened.unseal(row)
        return Secret(
            name=name,
            value=SecretValue.from_stored(data, binary=row.binary),
            version_id=version_id,
            stages=labels[version_id],
            created_at=row.created_at,
        )

    def get(self, name: str, *, version: str | None = None, stage: Stage = Stage.CURRENT) -> Secret:
        validate_name(name)
        with self._store.read() as tx:
            return self._get(tx, name, version, stage)

    def get_many(self, names: Sequence[str]) -> BatchResult:
        result: BatchResult = {}
        with self._store.read() as tx:
            for name in names:
                try:
                    result[name] = self._get(tx, name, None, Stage.CURRENT)
                except SecretsAdapterError as exc:
                    result[name] = exc
        return result

    def list_names(self, prefix: str = "") -> list[str]:
        with self._store.read() as tx:
            return records.live_names(tx, prefix)

    def describe(self, name: str) -> SecretMetadata:
        validate_name(name)
        with self._store.read() as tx:
            row = records.load_secret(tx, name)
            if row is None or (
                row.deletion_date is not None and row.deletion_date <= self._clock()
            ):
                raise self._not_found(name)
            labels = self._labels(tx, name, row)
            versions = tuple(
                VersionInfo(name=name, version_id=vid, stages=labels[vid], created_at=created)
                for vid, created in records.versions_of(tx, name)
            )
        return SecretMetadata(
            name=name,
            versions=versions,
            created_at=row.created_at,
            updated_at=row.updated_at,
            deletion_date=row.deletion_date,
            tags=row.tags,
        )
