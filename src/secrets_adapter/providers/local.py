"""``LocalProvider``: the embedded encrypted store (``local``), the default backend.

Same semantics as ``secrets_adapter.testing.InMemoryProvider``, kept in one SQLite file (see
``secrets_adapter.localstore``): each operation is one transaction, writes take the database lock
before they read, so check-and-set holds across processes and a killed process leaves the old
state or the new one. Secrets past their recovery window are purged by the next write.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from types import TracebackType

from secrets_adapter.clock import WallClock, utcnow
from secrets_adapter.config import LocalSettings
from secrets_adapter.errors import (
    ConflictError,
    IntegrityError,
    SecretNotFoundError,
    SecretsAdapterError,
    SecretScheduledForDeletionError,
    ValidationError,
)
from secrets_adapter.localstore import records
from secrets_adapter.localstore.envelope import Sealed
from secrets_adapter.localstore.lifecycle import (
    OpenedStore,
    key_source_from_settings,
    open_store,
)
from secrets_adapter.localstore.metadata import (
    GenerationFile,
    check_secret,
    read_generation,
    reseal_secret,
    secret_mac,
    write_generation,
)
from secrets_adapter.localstore.storage import Transaction, missing_store_error
from secrets_adapter.models import (
    DEFAULT_RECOVERY_WINDOW,
    Secret,
    SecretMetadata,
    SecretValue,
    Stage,
    VersionInfo,
)
from secrets_adapter.providers.base import (
    BatchResult,
    PutResult,
    check_recovery_window,
    merged_tags,
)
from secrets_adapter.providers.staging import LabelMap, holder_of, move_label, prunable_versions
from secrets_adapter.validation import validate_name

__all__ = ["LocalProvider"]

_KIND = "local"
_MAX_TOKEN_LENGTH = 256
_LEASE_TAG = "secrets-adapter:rotation-lease"  # the rotation engine's tag (rotation.state)


def _store_labels(tx: Transaction, name: str, labels: LabelMap) -> None:
    records.replace_labels(
        tx, name, {vid: [stage.value for stage in stages] for vid, stages in labels.items()}
    )


def _lease_active(expiry: str, now: datetime) -> bool:
    try:
        return now < datetime.fromisoformat(expiry)
    except ValueError:
        return False  # an unreadable lease is free


def _check_token(token: str, name: str) -> str:
    if not isinstance(token, str) or not 0 < len(token) <= _MAX_TOKEN_LENGTH:
        raise ValidationError(
            f"Invalid version token for secret {name!r}: it is 1-{_MAX_TOKEN_LENGTH} characters.",
            secret_name=name,
        )
    return token


def _check_max_versions(max_versions: int) -> None:
    if max_versions < 1:
        raise ValidationError(f"max_versions must be at least 1, got {max_versions}.")


class LocalProvider:
    """A ``VersionedProvider`` over the embedded encrypted store in one folder."""

    def __init__(
        self,
        opened: OpenedStore,
        *,
        max_versions: int = 100,
        clock: WallClock = utcnow,
        generation_file: Path | None = None,
    ) -> None:
        _check_max_versions(max_versions)
        self._opened = opened
        self._store = opened.store
        self._max_versions = max_versions
        self._clock = clock
        self._generation_file = None if generation_file is None else GenerationFile(generation_file)
        with self._store.read() as tx:
            self._seen_generation = read_generation(tx, opened.metadata_key, self._store.folder)
        self._check_generation(self._seen_generation)

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
        _check_max_versions(settings.max_versions)
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

    @property
    def kind(self) -> str:
        return _KIND

    @property
    def path(self) -> Path:
        return self._store.folder

    def __repr__(self) -> str:
        return f"LocalProvider(path={str(self._store.folder)!r})"

    def __enter__(self) -> LocalProvider:
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
                provider=_KIND,
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
                provider=_KIND,
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
        return SecretNotFoundError(message, secret_name=name, provider=_KIND)

    # --- reads -------------------------------------------------------------------------------

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
                provider=_KIND,
            )
        return row

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

    # --- writes ------------------------------------------------------------------------------

    def _writable_entry(self, tx: Transaction, name: str) -> records.SecretRow | None:
        """The secret's row (None if new), its metadata checked, after purging expired
        deletions; never a deleted one."""
        records.purge_expired(tx, self._clock())
        row = records.load_secret(tx, name)
        if row is not None:
            if row.deletion_date is not None:
                self._live(tx, name)
            self._labels(tx, name, row)  # checked before this write builds on it
        return row

    def put(
        self, name: str, value: SecretValue, *, expected_current: str | None = None
    ) -> VersionInfo:
        validate_name(name)
        version_id = str(uuid.uuid4())
        sealed = self._opened.seal(
            name=name, version_id=version_id, data=value.reveal_bytes(), binary=value.is_binary
        )
        with self._writing() as tx:
            entry = self._writable_entry(tx, name)
            current = holder_of(self._labels(tx, name, entry), Stage.CURRENT) if entry else None
            if expected_current is not None and current != expected_current:
                raise ConflictError(
                    f"Secret {name!r} changed meanwhile (current is {current!r}, expected "
                    f"{expected_current!r}); re-read and try again.",
                    secret_name=name,
                    provider=_KIND,
                )
            return self._add_version(
                tx,
                entry=entry,
                name=name,
                version_id=version_id,
                binary=value.is_binary,
                sealed=sealed,
                stage=Stage.CURRENT,
            )

    def put_many(self, items: Mapping[str, SecretValue]) -> PutResult:
        """Many ``put``s in ONE transaction (one lock, one commit, one fsync): a bulk import
        costs what its encryption costs. A name that cannot be written (invalid, scheduled for
        deletion) gets its own error; the others are written all together or not at all."""
        result: PutResult = {}
        sealed: dict[str, tuple[str, SecretValue, Sealed]] = {}
        for name, value in items.items():
            try:
                validate_name(name)
            except ValidationError as exc:
                result[name] = exc
                continue
            version_id = str(uuid.uuid4())
            box = self._opened.seal(
                name=name, version_id=version_id, data=value.reveal_bytes(), binary=value.is_binary
            )
            sealed[name] = (version_id, value, box)
        if not sealed:
            return result
        with self._writing() as tx:
            now = self._clock()
            records.purge_expired(tx, now)
            new_rows: list[tuple[records.VersionRow, bytes]] = []
            existing = records.existing_names(tx, list(sealed))
            for name, (version_id, value, box) in sealed.items():
                try:
                    entry = self._writable_entry(tx, name) if name in existing else None
                except SecretsAdapterError as exc:
                    result[name] = exc
                    continue
                if entry is None:
                    row = records.VersionRow(
                        name=name,
                        version_id=version_id,
                        created_at=now,
                        binary=value.is_binary,
                        sealed=box,
                    )
                    mac = secret_mac(
                        self._opened.metadata_key,
                        name=name,
                        labels={version_id: (Stage.CURRENT.value,)},
                        tags={},
                        deletion_date=None,
                    )
                    new_rows.append((row, mac))
                    result[name] = VersionInfo(
                        name=name,
                        version_id=version_id,
                        stages=frozenset({Stage.CURRENT}),
                        created_at=now,
                    )
                    continue
                result[name] = self._add_version(
                    tx,
                    entry=entry,
                    name=name,
                    version_id=version_id,
                    binary=value.is_binary,
                    sealed=box,
                    stage=Stage.CURRENT,
                )
            records.insert_new_secrets(tx, new_rows, Stage.CURRENT.value)
        return {name: result[name] for name in items}

    def put_version(
        self,
        name: str,
        value: SecretValue,
        *,
        token: str,
        stage: Stage | None = Stage.PENDING,
    ) -> VersionInfo:
        validate_name(name)
        _check_token(token, name)
        sealed = self._opened.seal(
            name=name, version_id=token, data=value.reveal_bytes(), binary=value.is_binary
        )
        with self._writing() as tx:
            entry = self._writable_entry(tx, name)
            existing = records.load_version(tx, name, token) if entry else None
            if existing is not None:
                stored = SecretValue.from_stored(
                    self._opened.unseal(existing), binary=existing.binary
                )
                if stored != value:
                    raise ConflictError(
                        f"Version {token!r} of secret {name!r} already exists with a different "
                        "value; use a new token for a new value.",
                        secret_name=name,
                        provider=_KIND,
                    )
                return VersionInfo(
                    name=name,
                    version_id=token,
                    stages=self._labels(tx, name)[token],
                    created_at=existing.created_at,
                )
            return self._add_version(
                tx,
                entry=entry,
                name=name,
                version_id=token,
                binary=value.is_binary,
                sealed=sealed,
                stage=stage,
            )

    def _add_version(
        self,
        tx: Transaction,
        *,
        entry: records.SecretRow | None,
        name: str,
        version_id: str,
        binary: bool,
        sealed: Sealed,
        stage: Stage | None,
    ) -> VersionInfo:
        now = self._clock()
        if entry is None:
            records.insert_secret(tx, name, now)
        records.insert_version(
            tx,
            records.VersionRow(
                name=name, version_id=version_id, created_at=now, binary=binary, sealed=sealed
            ),
        )
        labels: LabelMap = self._labels(tx, name, check=False)  # checked by the caller
        if stage is Stage.CURRENT or holder_of(labels, Stage.CURRENT) is None:
            labels = move_label(labels, Stage.CURRENT, to_version=version_id, name=name)
        if stage is not None and stage is not Stage.CURRENT:
            labels = move_label(labels, stage, to_version=version_id, name=name)
        pruned = prunable_versions(labels, keep=self._max_versions)
        labels = {vid: stages for vid, stages in labels.items() if vid not in pruned}
        _store_labels(tx, name, labels)
        records.delete_versions(tx, name, pruned)
        records.touch(tx, name, now)
        self._reseal(tx, name)
        return VersionInfo(
            name=name, version_id=version_id, stages=labels[version_id], created_at=now
        )

    def move_stage(
        self,
        name: str,
        stage: Stage,
        *,
        to_version: str | None,
        from_version: str | None = None,
    ) -> None:
        validate_name(name)
        with self._writing() as tx:
            labels = move_label(
                self._labels(tx, name, self._live(tx, name)),
                stage,
                to_version=to_version,
                from_version=from_version,
                name=name,
            )
            _store_labels(tx, name, labels)
            records.touch(tx, name, self._clock())
            self._reseal(tx, name)

    def set_tags(self, name: str, tags: Mapping[str, str]) -> None:
        validate_name(name)
        with self._writing() as tx:
            row = self._live(tx, name)
            self._labels(tx, name, row)  # checked before the new tags are sealed with it
            records.set_tags(tx, name, merged_tags(row.tags, tags))
            self._reseal(tx, name)

    def acquire_rotation_lease(self, name: str, *, owner: str, ttl: timedelta) -> bool:
        """Take the rotation lease of ``name`` for ``ttl`` in one write transaction (the write
        lock is held from the read to the write): of two callers, exactly one gets it.

        Kept in the ``secrets-adapter:rotation-lease`` tag as ``owner@expiry`` so that every
        reader (``rotation status``) sees it; an expired lease is free.
        """
        validate_name(name)
        now = self._clock()
        with self._writing() as tx:
            row = self._live(tx, name)
            self._labels(tx, name, row)  # checked before the lease is sealed with it
            tags = row.tags
            holder, _, expiry = tags.get(_LEASE_TAG, "").partition("@")
            if holder and holder != owner and _lease_active(expiry, now):
                return False
            lease = f"{owner}@{(now + ttl).isoformat()}"
            records.set_tags(tx, name, merged_tags(tags, {_LEASE_TAG: lease}))
            self._reseal(tx, name)
        return True

    def release_rotation_lease(self, name: str, *, owner: str) -> None:
        """Free the rotation lease of ``name`` if ``owner`` holds it."""
        validate_name(name)
        with self._writing() as tx:
            row = self._live(tx, name)
            self._labels(tx, name, row)
            if row.tags.get(_LEASE_TAG, "").partition("@")[0] == owner:
                records.set_tags(tx, name, merged_tags(row.tags, {_LEASE_TAG: ""}))
                self._reseal(tx, name)

    def delete(
        self,
        name: str,
        *,
        recovery_window: timedelta = DEFAULT_RECOVERY_WINDOW,
        force: bool = False,
    ) -> None:
        validate_name(name)
        if not force:
            check_recovery_window(recovery_window, name=name)
        with self._writing() as tx:
            records.purge_expired(tx, self._clock())
            if records.load_secret(tx, name) is None:
                raise self._not_found(name)
            if force:
                records.delete_secret(tx, name)
            else:
                # already scheduled: say so, keep the first date
                self._labels(tx, name, self._live(tx, name))
                records.set_deletion(tx, name, self._clock() + recovery_window)
                self._reseal(tx, name)

    def restore(self, name: str) -> None:
        validate_name(name)
        with self._writing() as tx:
            records.purge_expired(tx, self._clock())
            row = records.load_secret(tx, name)
            if row is None:
                raise self._not_found(name)
            self._labels(tx, name, row)
            records.set_deletion(tx, name, None)
            self._reseal(tx, name)
