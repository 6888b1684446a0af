"""The provider seam: three ``Protocol``s, capability in the types, no shared state.

A provider translates one backend's SDK into these calls and its errors into our tree (one
``_translate_errors`` context manager per backend). It validates names and values before any I/O
(``secrets_adapter.validation``) and knows nothing of cache, policy or audit.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Protocol, runtime_checkable

from secrets_adapter.errors import SecretsAdapterError, ValidationError
from secrets_adapter.models import (
    DEFAULT_RECOVERY_WINDOW,
    Secret,
    SecretMetadata,
    SecretValue,
    Stage,
    VersionInfo,
)

__all__ = [
    "MAX_RECOVERY_WINDOW",
    "MIN_RECOVERY_WINDOW",
    "BatchResult",
    "DEFAULT_WRITE_WORKERS",
    "BulkWritableProvider",
    "LabelledProvider",
    "Provider",
    "PutResult",
    "VersionedProvider",
    "WritableProvider",
    "check_recovery_window",
    "get_each",
    "merged_tags",
    "put_concurrently",
    "put_each",
]

BatchResult = dict[str, Secret | SecretsAdapterError]
"""``get_many``'s answer: every requested name maps to its secret or to its own typed error."""

PutResult = dict[str, VersionInfo | SecretsAdapterError]
"""``put_many``'s answer: every name maps to its new version or to its own typed error."""

MIN_RECOVERY_WINDOW = timedelta(days=7)
MAX_RECOVERY_WINDOW = timedelta(days=30)


@runtime_checkable
class Provider(Protocol):
    """Reads secrets from one backend."""

    @property
    def kind(self) -> str:
        """Short backend name: ``env``, ``local``, ``aws``, ``vault``, ``memory``."""
        ...

    def get(self, name: str, *, version: str | None = None, stage: Stage = Stage.CURRENT) -> Secret:
        """One secret at ``version`` if given, else at ``stage``."""
        ...

    def get_many(self, names: Sequence[str]) -> BatchResult:
        """The current version of many secrets; one name's failure does not fail the others."""
        ...

    def list_names(self, prefix: str = "") -> list[str]:
        """Names of live (not deleted) secrets starting with ``prefix``, sorted."""
        ...

    def close(self) -> None:
        """Release connections and file handles."""
        ...


@runtime_checkable
class LabelledProvider(Provider, Protocol):
    """A provider whose versions carry labels of their own beyond the three stages (AWS custom
    staging labels), readable by name."""

    def get_labelled(self, name: str, label: str) -> Secret:
        """The version carrying ``label``; a label on no version is ``SecretNotFoundError``."""
        ...


@runtime_checkable
class WritableProvider(Provider, Protocol):
    """A provider that can store values."""

    def put(
        self, name: str, value: SecretValue, *, expected_current: str | None = None
    ) -> VersionInfo:
        """Store a new version that becomes current; the old current becomes previous.

        With ``expected_current`` the write is a check-and-set: if the current version is no
        longer that one, nothing is written and ``ConflictError`` is raised.
        """
        ...

    def delete(
        self,
        name: str,
        *,
        recovery_window: timedelta = DEFAULT_RECOVERY_WINDOW,
        force: bool = False,
    ) -> None:
        """Schedule deletion after ``recovery_window`` (7-30 days); ``force`` deletes now."""
        ...

    def restore(self, name: str) -> None:
        """Cancel a scheduled deletion."""
        ...


@runtime_checkable
class VersionedProvider(WritableProvider, Protocol):
    """A provider with versions and stages: what the four-step rotation needs."""

    def describe(self, name: str) -> SecretMetadata:
        """Versions, stages, tags and deletion state; never values."""
        ...

    def put_version(
        self,
        name: str,
        value: SecretValue,
        *,
        token: str,
        stage: Stage | None = Stage.PENDING,
    ) -> VersionInfo:
        """Store a version whose id is ``token``, labelled ``stage``; idempotent on ``token``.

        The same token with the same value returns the existing version; with a different value
        it is a ``ConflictError``. Staging ``current`` moves the old current to ``previous``.
        """
        ...

    def move_stage(
        self,
        name: str,
        stage: Stage,
        *,
        to_version: str | None,
        from_version: str | None = None,
    ) -> None:
        """Move ``stage`` to ``to_version`` (None removes it).

        ``from_version`` is a check: if the stage is not on that version now, ``ConflictError``.
        Moving ``current`` labels the version that had it ``previous``.
        """
        ...

    def set_tags(self, name: str, tags: Mapping[str, str]) -> None:
        """Merge ``tags`` into the secret's tags (an empty string value removes a tag)."""
        ...


@runtime_checkable
class BulkWritableProvider(WritableProvider, Protocol):
    """A backend that writes many secrets faster than one ``put`` each (one transaction, or
    bounded concurrency where the backend has no batch write)."""

    def put_many(self, items: Mapping[str, SecretValue]) -> PutResult:
        """``put`` for each item; each name gets its new version or its own error."""
        ...


DEFAULT_WRITE_WORKERS = 8
"""Writes in flight at once for a backend with no batch write (AWS, Vault)."""


def put_concurrently(
    put: Callable[[str, SecretValue], VersionInfo],
    items: Mapping[str, SecretValue],
    *,
    workers: int = DEFAULT_WRITE_WORKERS,
) -> PutResult:
    """``put`` every item, ``workers`` at a time (a backend with no batch write): each name gets
    its new version or its own error, in the order of ``items``; a failure stops nothing."""
    if not items:
        return {}
    outcome: PutResult = {}

    def put_one(name: str) -> None:
        try:
            outcome[name] = put(name, items[name])
        except SecretsAdapterError as exc:
            outcome[name] = exc

    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(items)))) as pool:
        list(pool.map(put_one, items))
    return {name: outcome[name] for name in items}


def put_each(provider: WritableProvider, items: Mapping[str, SecretValue]) -> PutResult:
    """``put_many`` for a backend with no bulk write: one ``put`` per item, each failure kept as
    that name's own error."""
    result: PutResult = {}
    for name, value in items.items():
        try:
            result[name] = provider.put(name, value)
        except SecretsAdapterError as exc:
            result[name] = exc
    return result


def get_each(provider: Provider, names: Sequence[str]) -> BatchResult:
    """``get_many`` for a backend with no batch API: one ``get`` per name, each failure kept
    as that name's own error."""
    result: BatchResult = {}
    for name in names:
        try:
            result[name] = provider.get(name)
        except SecretsAdapterError as exc:
            result[name] = exc
    return result


def merged_tags(tags: Mapping[str, str], changes: Mapping[str, str]) -> dict[str, str]:
    """``tags`` after ``set_tags(changes)``: an empty string value removes that tag."""
    merged = dict(tags)
    for key, tag_value in changes.items():
        if tag_value == "":
            merged.pop(key, None)
        else:
            merged[key] = tag_value
    return merged


def check_recovery_window(window: timedelta, *, name: str | None = None) -> timedelta:
    """Return ``window`` if it is 7-30 days, else raise ``ValidationError`` saying so."""
    if not MIN_RECOVERY_WINDOW <= window <= MAX_RECOVERY_WINDOW:
        raise ValidationError(
            f"Invalid recovery window for secret {name!r}: it must be 7 to 30 days "
            f"(got {window}); use force=True to delete without recovery.",
            secret_name=name,
        )
    return window
