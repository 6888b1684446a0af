"""``InMemoryProvider``: a public, thread-safe fake that passes the provider contract suite.

Use it in application tests instead of mocking a backend. It follows the same stage rules as the
real providers (``providers.staging``) and validates names and values the same way.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from secrets_adapter.clock import WallClock, utcnow
from secrets_adapter.errors import (
    ConflictError,
    SecretNotFoundError,
    SecretsAdapterError,
    SecretScheduledForDeletionError,
)
from secrets_adapter.models import (
    DEFAULT_RECOVERY_WINDOW,
    Secret,
    SecretMetadata,
    SecretValue,
    Stage,
    VersionInfo,
)
from secrets_adapter.providers.base import BatchResult, check_recovery_window, merged_tags
from secrets_adapter.providers.staging import holder_of, move_label, prunable_versions
from secrets_adapter.validation import validate_name

__all__ = ["InMemoryProvider"]


@dataclass(slots=True)
class _Version:
    value: SecretValue
    created_at: datetime


@dataclass(slots=True)
class _Entry:
    created_at: datetime
    updated_at: datetime
    versions: dict[str, _Version] = field(default_factory=dict)
    labels: dict[str, frozenset[Stage]] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    deletion_date: datetime | None = None


class InMemoryProvider:
    """A ``VersionedProvider`` that keeps everything in a dict; counts backend calls for tests."""

    def __init__(
        self,
        secrets: Mapping[str, str | bytes] | None = None,
        *,
        clock: WallClock = utcnow,
        max_versions: int = 100,
        kind: str = "memory",
    ) -> None:
        self._clock = clock
        self._max_versions = max_versions
        self._kind = kind
        self._lock = threading.RLock()
        self._entries: dict[str, _Entry] = {}
        self.calls: dict[str, int] = {}
        for name, value in (secrets or {}).items():
            self.put(name, SecretValue(value))
        self.calls.clear()

    @property
    def kind(self) -> str:
        return self._kind

    def _count(self, operation: str) -> None:
        self.calls[operation] = self.calls.get(operation, 0) + 1

    def _live(self, name: str) -> _Entry:
        entry = self._entries.get(validate_name(name))
        if entry is None:
            raise SecretNotFoundError(
                f"Secret {name!r} not found in the {self._kind} provider.",
                secret_name=name,
                provider=self._kind,
            )
        if entry.deletion_date is not None:
            raise SecretScheduledForDeletionError(
                f"Secret {name!r} is scheduled for deletion on {entry.deletion_date:%Y-%m-%d}; "
                "restore it to read it again.",
                secret_name=name,
                provider=self._kind,
            )
        return entry

    def get(self, name: str, *, version: str | None = None, stage: Stage = Stage.CURRENT) -> Secret:
        with self._lock:
            self._count("get")
            return self._read(name, version, stage)

    def get_many(self, names: Sequence[str]) -> BatchResult:
        with self._lock:
            self._count("get_many")  # one backend call, however many names
            result: BatchResult = {}
            for name in names:
                try:
                    result[name] = self._read(name, None, Stage.CURRENT)
                except SecretsAdapterError as exc:
                    result[name] = exc
            return result

    def _read(self, name: str, version: str | None, stage: Stage) -> Secret:
        entry = self._live(name)
        version_id = version if version is not None else holder_of(entry.labels, stage)
        if version_id is None or version_id not in entry.versions:
            wanted = f"version {version!r}" if version is not None else f"stage {stage.value!r}"
            raise SecretNotFoundError(
                f"Secret {name!r} has no {wanted}.", secret_name=name, provider=self._kind
            )
        stored = entry.versions[version_id]
        return Secret(
            name=name,
            value=stored.value,
            version_id=version_id,
            stages=entry.labels[version_id],
            created_at=stored.created_at,
        )

    def list_names(self, prefix: str = "") -> list[str]:
        with self._lock:
            self._count("list_names")
            return sorted(
                name
                for name, entry in self._entries.items()
                if name.startswith(prefix) and entry.deletion_date is None
            )

    def close(self) -> None:
        """Nothing to release."""

    def put(
        self, name: str, value: SecretValue, *, expected_current: str | None = None
    ) -> VersionInfo:
        validate_name(name)
        with self._lock:
            self._count("put")
            entry = self._entries.get(name)
            if entry is not None and entry.deletion_date is not None:
                self._live(name)
            current = holder_of(entry.labels, Stage.CURRENT) if entry else None
            if expected_current is not None and current != expected_current:
                raise ConflictError(
                    f"Secret {name!r} changed meanwhile (current is {current!r}, expected "
                    f"{expected_current!r}); re-read and try again.",
                    secret_name=name,
                    provider=self._kind,
                )
            return self._add_version(name, value, str(uuid.uuid4()), Stage.CURRENT)

    def _add_version(
        self, name: str, value: SecretValue, version_id: str, stage: Stage | None
    ) -> VersionInfo:
        now = self._clock()
        entry = self._entries.get(name)
        if entry is None:
            entry = self._entries[name] = _Entry(created_at=now, updated_at=now)
        entry.versions[version_id] = _Version(value=value, created_at=now)
        entry.labels[version_id] = frozenset()
        if stage is Stage.CURRENT or holder_of(entry.labels, Stage.CURRENT) is None:
            entry.labels = move_label(entry.labels, Stage.CURRENT, to_version=version_id, name=name)
        if stage is not None and stage is not Stage.CURRENT:
            entry.labels = move_label(entry.labels, stage, to_version=version_id, name=name)
        for old in prunable_versions(entry.labels, keep=self._max_versions):
            del entry.versions[old]
            del entry.labels[old]
        entry.updated_at = now
        return VersionInfo(
            name=name, version_id=version_id, stages=entry.labels[version_id], created_at=now
        )

    def put_version(
        self,
        name: str,
        value: SecretValue,
        *,
        token: str,
        stage: Stage | None = Stage.PENDING,
    ) -> VersionInfo:
        validate_name(name)
        with self._lock:
            self._count("put_version")
            entry = self._entries.get(name)
            if entry is not None and entry.deletion_date is not None:
                self._live(name)
            if entry is not None and token in entry.versions:
                stored = entry.versions[token]
                if stored.value != value:
                    raise ConflictError(
                        f"Version {token!r} of secret {name!r} already exists with a different "
                        "value; use a new token for a new value.",
                        secret_name=name,
                        provider=self._kind,
                    )
                return VersionInfo(
                    name=name,
                    version_id=token,
                    stages=entry.labels[token],
                    created_at=stored.created_at,
                )
            return self._add_version(name, value, token, stage)

    def move_stage(
        self,
        name: str,
        stage: Stage,
        *,
        to_version: str | None,
        from_version: str | None = None,
    ) -> None:
        with self._lock:
            self._count("move_stage")
            entry = self._live(name)
            entry.labels = move_label(
                entry.labels, stage, to_version=to_version, from_version=from_version, name=name
            )
            entry.updated_at = self._clock()

    def describe(self, name: str) -> SecretMetadata:
        with self._lock:
            self._count("describe")
            entry = self._entries.get(validate_name(name))
            if entry is None:
                self._live(name)
                raise AssertionError("unreachable")
            return SecretMetadata(
                name=name,
                versions=tuple(
                    VersionInfo(
                        name=name, version_id=vid, stages=entry.labels[vid], created_at=v.created_at
                    )
                    for vid, v in entry.versions.items()
                ),
                created_at=entry.created_at,
                updated_at=entry.updated_at,
                deletion_date=entry.deletion_date,
                tags=dict(entry.tags),
            )

    def set_tags(self, name: str, tags: Mapping[str, str]) -> None:
        with self._lock:
            self._count("set_tags")
            entry = self._live(name)
            entry.tags = merged_tags(entry.tags, tags)

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
        with self._lock:
            self._count("delete")
            if name not in self._entries:
                self._live(name)
            if force:
                del self._entries[name]
            else:
                self._live(name)  # already scheduled: say so, keep the first date
                self._entries[name].deletion_date = self._clock() + recovery_window

    def restore(self, name: str) -> None:
        validate_name(name)
        with self._lock:
            self._count("restore")
            entry = self._entries.get(name)
            if entry is None:
                self._live(name)
                return
            entry.deletion_date = None
