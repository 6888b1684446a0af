"""The local store's writes: new versions (one, or many in one transaction), stage moves, tags,
the rotation lease, deletion and restore. Each is one write transaction that checks the
metadata before it builds on it and reseals it after (``LocalStoreBase``); secrets past their
recovery window are purged by the next write.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime, timedelta

from secrets_adapter.errors import ConflictError, SecretsAdapterError, ValidationError
from secrets_adapter.localstore import records
from secrets_adapter.localstore.envelope import Sealed
from secrets_adapter.localstore.metadata import new_secret_mac
from secrets_adapter.localstore.storage import Transaction
from secrets_adapter.models import DEFAULT_RECOVERY_WINDOW, SecretValue, Stage, VersionInfo
from secrets_adapter.providers.base import PutResult, check_recovery_window, merged_tags
from secrets_adapter.providers.local_base import KIND, LocalStoreBase
from secrets_adapter.providers.staging import LabelMap, holder_of, move_label, prunable_versions
from secrets_adapter.validation import validate_name

__all__ = ["LocalWrites"]

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


class LocalWrites(LocalStoreBase):
    """The write operations of ``LocalProvider``."""

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
                    provider=KIND,
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
                    mac = new_secret_mac(
                        self._opened.metadata_key,
                        name=name,
                        version_id=version_id,
                        stage=Stage.CURRENT.value,
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
                        provider=KIND,
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
