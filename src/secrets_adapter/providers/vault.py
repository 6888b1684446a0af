"""``VaultProvider``: HashiCorp Vault / OpenBao KV v2 as a ``VersionedProvider``.

A secret ``name`` lives at ``<mount>/data/<root>/<name>``: names are full (the adapter has already
put its ``prefix`` in front of a relative name); ``root`` (``VaultSettings.path_root``, default
none) is an optional folder that holds them all. The modules around this one each hold a concern:

- ``vault_codec``: values ↔ KV fields (the layout other Vault tools see);
- ``vault_stages``: stages derived from Vault's version history, and what ``custom_metadata``
  records; version ids are Vault's version numbers;
- ``vault_lock``: the check-and-set companion entry (writer lock, rotation lease);
- ``vault_kv``: the KV v2 calls (``put_many`` is ``providers.base.put_concurrently``);
- ``vault_session`` / ``vault_client`` / ``vault_errors``: tokens and fail-over, settings, errors.

Reading ``current`` is one request (the newest version carries ``custom_metadata``); a second one
only while a rotation or a rollback holds ``current`` below the newest version. A stage whose
version was deleted or destroyed in Vault is *not found* — never an older version instead.

Deletion with a recovery window soft-deletes every version and records the date; ``restore``
undeletes them. Vault has no timer, so a secret whose date has passed reads as gone and the next
write (or ``delete``) destroys it. ``force`` destroys at once.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import hvac

from secrets_adapter.clock import MonotonicClock, WallClock, monotonic, utcnow
from secrets_adapter.config import VaultSettings
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
from secrets_adapter.providers.base import (
    DEFAULT_WRITE_WORKERS,
    BatchResult,
    PutResult,
    check_recovery_window,
    get_each,
    merged_tags,
    put_concurrently,
)
from secrets_adapter.providers.staging import move_label
from secrets_adapter.providers.vault_client import auth_from_settings, session_from_settings
from secrets_adapter.providers.vault_codec import decode_value, encode_value, same_stored_value
from secrets_adapter.providers.vault_errors import translate_errors, version_gone
from secrets_adapter.providers.vault_kv import KvStore, check_path
from secrets_adapter.providers.vault_lock import SecretLocks
from secrets_adapter.providers.vault_session import VaultSession
from secrets_adapter.providers.vault_stages import (
    DELETION_KEY,
    KvState,
    check_tag_key,
    check_token,
    derive_stages,
    parse_vault_time,
    record_from_custom,
    record_new_version,
)

__all__ = [
    "VaultProvider",
    "auth_from_settings",
    "session_from_settings",
    "translate_errors",
]

_KIND = "vault"


class VaultProvider:
    """KV v2 on Vault or OpenBao; see the module docstring."""

    def __init__(
        self,
        session: VaultSession,
        *,
        mount: str = "secret",
        root: str = "",
        clock: WallClock = utcnow,
        lock_wait: float = 10.0,
        write_workers: int = DEFAULT_WRITE_WORKERS,
    ) -> None:
        self._kv = KvStore(session, mount=mount, root=root)
        self._clock = clock
        self._write_workers = write_workers
        self._locks = SecretLocks(session, mount=self._kv.mount, clock=clock, wait=lock_wait)

    @classmethod
    def from_settings(
        cls,
        settings: VaultSettings,
        *,
        clients: Sequence[hvac.Client] | None = None,
        clock: WallClock = utcnow,
        monotonic_clock: MonotonicClock = monotonic,
        sleep: Callable[[float], None] | None = None,
    ) -> VaultProvider:
        """Build from settings; pass ``clients`` to inject hvac clients (one per address)."""
        session = session_from_settings(
            settings, clients=clients, monotonic_clock=monotonic_clock, sleep=sleep
        )
        return cls(session, mount=settings.mount, root=settings.path_root, clock=clock)

    @property
    def kind(self) -> str:
        return _KIND

    @property
    def session(self) -> VaultSession:
        return self._kv.session

    def __repr__(self) -> str:
        return (
            f"VaultProvider(address={self.session.active_address!r}, mount={self._kv.mount!r}, "
            f"root={self._kv.root!r}, auth={self.session.auth_method!r})"
        )

    def close(self) -> None:
        """Close the HTTP connections (the token is left to expire; it may be shared)."""
        self.session.close()

    # --- plumbing ------------------------------------------------------------------------------

    def _not_found(self, name: str, what: str = "") -> SecretNotFoundError:
        return SecretNotFoundError(
            f"Secret {name!r}{what} not found in Vault.", secret_name=name, provider=_KIND
        )

    def _check_deletion(self, name: str, deletion_date: datetime | None) -> None:
        """Raise for a secret we deleted: gone past its date, else scheduled for deletion."""
        if deletion_date is None:
            return
        if deletion_date <= self._clock():
            raise self._not_found(name)
        raise SecretScheduledForDeletionError(
            f"Secret {name!r} is scheduled for deletion on {deletion_date:%Y-%m-%d}; "
            "restore it to read it again.",
            secret_name=name,
            provider=_KIND,
        )

    def _live(self, name: str, state: KvState | None) -> KvState:
        """The state of a readable secret; scheduled deletion and absence are errors."""
        if state is None or not state.versions:
            raise self._not_found(name)
        self._check_deletion(name, state.deletion_date)
        return state

    def _expired(self, state: KvState) -> bool:
        return state.deletion_date is not None and state.deletion_date <= self._clock()

    def _writable_state(self, name: str) -> KvState | None:
        """The state before a write: None for a new secret; an expired deletion is purged."""
        state = self._kv.metadata(name)
        if state is not None and self._expired(state):
            self._kv.destroy(name)
            return None
        if state is not None:
            self._check_deletion(name, state.deletion_date)
        return state

    def _secret(
        self, name: str, number: int, response: Any, labels: frozenset[Stage], what: str
    ) -> Secret:
        metadata = response.get("metadata") or {}
        if response.get("data") is None:
            raise version_gone(
                name,
                number,
                what=what,
                where=f"{self._kv.mount}/{self._kv.path(name)}",
                destroyed=bool(metadata.get("destroyed")),
            )
        # frames: the value leaves the response (a fresh one per read), so the caller's frame
        # does not show it if decoding fails: error reporters print every frame's locals
        value = decode_value(response.pop("data"), name=name)
        return Secret(
            name=name,
            value=value,
            version_id=str(number),
            stages=labels,
            created_at=parse_vault_time(metadata.get("created_time")),
        )

    # --- reads ---------------------------------------------------------------------------------

    def get(self, name: str, *, version: str | None = None, stage: Stage = Stage.CURRENT) -> Secret:
        check_path(name)
        if version is not None:
            state = self._live(name, self._kv.metadata(name))
            number = state.number_of(version)
            if number is None:
                raise self._not_found(name, f" with version {version!r}")
            response = self._kv.read_version(name, number)
            return self._secret(name, number, response, state.labels(number), f"version {number}")
        try:
            response = self._kv.read_version(name, None)
        except SecretNotFoundError:
            raise self._not_found(name) from None
        metadata = response["metadata"]
        custom = metadata.get("custom_metadata") or {}
        self._check_deletion(name, parse_vault_time(custom.get(DELETION_KEY)))
        latest = int(metadata["version"])
        stages = derive_stages(record_from_custom(custom), latest)
        number = stages.get(stage)
        if number is None:
            raise self._not_found(name, f" with stage {stage.value!r}")
        if number != latest:
            response = self._kv.read_version(name, number)
        labels = frozenset(held for held, at in stages.items() if at == number)
        return self._secret(name, number, response, labels, f"its {stage.value} version")

    def get_many(self, names: Sequence[str]) -> BatchResult:
        return get_each(self, names)

    def list_names(self, prefix: str = "") -> list[str]:
        folder = prefix.rpartition("/")[0]
        found = [name for name in self._kv.walk(folder) if name.startswith(prefix)]
        live = []
        for name in found:
            state = self._kv.metadata(name)
            newest = state.versions.get(state.latest) if state is not None else None
            if state is not None and state.deletion_date is None and newest and newest.live:
                live.append(name)
        return sorted(live)

    def describe(self, name: str) -> SecretMetadata:
        check_path(name)
        state = self._kv.metadata(name)
        if state is None or self._expired(state):
            raise self._not_found(name)
        return SecretMetadata(
            name=name,
            versions=tuple(
                VersionInfo(
                    name=name,
                    version_id=str(number),
                    stages=state.labels(number),
                    created_at=state.versions[number].created_at,
                    token=state.token_of(number),
                )
                for number in state.live_versions
            ),
            created_at=state.created_at,
            updated_at=state.updated_at,
            deletion_date=state.deletion_date,
            tags=dict(state.tags),
        )

    # --- writes --------------------------------------------------------------------------------

    def put(
        self, name: str, value: SecretValue, *, expected_current: str | None = None
    ) -> VersionInfo:
        check_path(name)
        data = encode_value(value)
        with self._locks.writer(name, self._kv.lock_path(name)):
            state = self._writable_state(name)
            if expected_current is not None:
                current = state.stages.get(Stage.CURRENT) if state else None
                if current is None or state is None or state.number_of(expected_current) != current:
                    raise ConflictError(
                        f"Secret {name!r} changed meanwhile (current is not "
                        f"{expected_current!r}); re-read and try again.",
                        secret_name=name,
                        provider=_KIND,
                    )
            return self._add_version(name, data, state, stage=Stage.CURRENT, token=None)

    def put_many(self, items: Mapping[str, SecretValue]) -> PutResult:
        """``put`` each item, ``write_workers`` at a time (Vault has no batch write); each name
        gets its new version or its own error, and a failure stops none of the others."""
        return put_concurrently(self.put, items, workers=self._write_workers)

    def _add_version(
        self,
        name: str,
        data: dict[str, Any],
        state: KvState | None,
        *,
        stage: Stage | None,
        token: str | None,
    ) -> VersionInfo:
        """Write a version holding ``data``; its stages are recorded first (as of the new
        version), so no reader ever takes a pending version for the current one."""
        if state is None or state.latest == 0:
            number = self._kv.write_data(name, data, cas=0)
            state = KvState(latest=number)
            before: dict[str, str] | None = None
        else:
            number = state.latest + 1
            before = state.custom_metadata()
        record_new_version(
            state, number, stage=stage, token=token, created_at=self._clock(), name=name
        )
        self._kv.write_custom(name, state.custom_metadata())
        if before is not None:
            try:
                self._kv.write_data(name, data, cas=number - 1)
            except ConflictError:
                with contextlib.suppress(SecretsAdapterError):
                    self._kv.write_custom(name, before)
                raise
        return VersionInfo(
            name=name,
            version_id=str(number),
            stages=state.labels(number),
            created_at=state.versions[number].created_at,
            token=token,
        )

    def put_version(
        self,
        name: str,
        value: SecretValue,
        *,
        token: str,
        stage: Stage | None = Stage.PENDING,
    ) -> VersionInfo:
        """The version's id is Vault's number; ``token`` names it too while it is recent."""
        check_path(name)
        check_token(token, name=name)
        data = encode_value(value)
        with self._locks.writer(name, self._kv.lock_path(name)):
            state = self._writable_state(name)
            number = state.number_of(token) if state is not None and token in state.tokens else None
            if state is not None and number is not None:
                stored = self._secret(
                    name,
                    number,
                    self._kv.read_version(name, number),
                    state.labels(number),
                    "version",
                )
                if not same_stored_value(stored.value, value):
                    raise ConflictError(
                        f"Version {token!r} of secret {name!r} already exists with a different "
                        "value; use a new token for a new value.",
                        secret_name=name,
                        provider=_KIND,
                    )
                return replace(stored.version, token=token)
            return self._add_version(name, data, state, stage=stage, token=token)

    def move_stage(
        self,
        name: str,
        stage: Stage,
        *,
        to_version: str | None,
        from_version: str | None = None,
    ) -> None:
        check_path(name)
        with self._locks.writer(name, self._kv.lock_path(name)):
            state = self._live(name, self._kv.metadata(name))

            def as_id(version_id: str | None) -> str | None:
                number = state.number_of(version_id) if version_id is not None else None
                return str(number) if number is not None else version_id

            target = state.number_of(to_version) if to_version is not None else None
            status = state.versions.get(target) if target is not None else None
            if status is not None and not status.live:
                what = "destroyed" if status.destroyed else "deleted"
                raise SecretNotFoundError(
                    f"Cannot move stage {stage.value!r} of secret {name!r} to version {target}: "
                    f"it was {what} in Vault.",
                    secret_name=name,
                    provider=_KIND,
                )
            labels = move_label(
                state.id_labels(),
                stage,
                to_version=as_id(to_version),
                from_version=as_id(from_version),
                name=name,
            )
            state.set_id_labels(labels)
            self._kv.write_custom(name, state.custom_metadata())

    def set_tags(self, name: str, tags: Mapping[str, str]) -> None:
        check_path(name)
        for key in tags:
            check_tag_key(key, name=name)
        with self._locks.writer(name, self._kv.lock_path(name)):
            state = self._live(name, self._kv.metadata(name))
            state.tags = merged_tags(state.tags, tags)
            self._kv.write_custom(name, state.custom_metadata())

    def acquire_rotation_lease(self, name: str, *, owner: str, ttl: timedelta) -> bool:
        """Take the rotation lease of ``name`` for ``ttl`` (check-and-set: of two processes
        asking at once, exactly one gets True); True again for the owner that holds it."""
        check_path(name)
        self._live(name, self._kv.metadata(name))
        return self._locks.acquire_lease(name, self._kv.lock_path(name), owner=owner, ttl=ttl)

    def release_rotation_lease(self, name: str, *, owner: str) -> None:
        """Give the lease back if ``owner`` holds it (an expired one needs nothing)."""
        check_path(name)
        self._locks.release_lease(name, self._kv.lock_path(name), owner=owner)

    def delete(
        self,
        name: str,
        *,
        recovery_window: timedelta = DEFAULT_RECOVERY_WINDOW,
        force: bool = False,
    ) -> None:
        check_path(name)
        if not force:
            check_recovery_window(recovery_window, name=name)
        if force:
            if self._kv.metadata(name) is None:
                raise self._not_found(name)
            self._kv.destroy(name)
            self._locks.forget(name, self._kv.lock_path(name))
            return
        with self._locks.writer(name, self._kv.lock_path(name)):
            state = self._kv.metadata(name)
            if state is None or self._expired(state):
                if state is not None:
                    self._kv.destroy(name)
                raise self._not_found(name)
            self._live(name, state)  # already scheduled: say so, keep the first date
            state.deletion_date = self._clock() + recovery_window
            self._kv.write_custom(name, state.custom_metadata())
            numbers = state.live_versions
            if numbers:
                self._kv.soft_delete(name, numbers)

    def restore(self, name: str) -> None:
        """Cancel a scheduled deletion, and undelete versions deleted in Vault."""
        check_path(name)
        with self._locks.writer(name, self._kv.lock_path(name)):
            state = self._kv.metadata(name)
            if state is None or self._expired(state):
                raise self._not_found(name)
            numbers = state.soft_deleted
            if numbers:
                self._kv.undelete(name, numbers)
            if state.deletion_date is not None:
                state.deletion_date = None
                self._kv.write_custom(name, state.custom_metadata())
