"""``VaultProvider``: HashiCorp Vault / OpenBao KV v2 as a ``VersionedProvider``.

A secret ``name`` lives at ``<mount>/data/<root>/<name>``: names are full (the adapter has already
put its ``prefix`` in front of a relative name); ``root`` (``VaultSettings.path_root``, default
none) is an optional folder that holds them all. The modules around this one each hold a concern:

- ``vault_codec``: values ↔ KV fields (the layout other Vault tools see);
- ``vault_stages``: stages derived from Vault's version history, and what ``custom_metadata``
  records; version ids are Vault's version numbers;
- ``vault_lock``: the check-and-set companion entry (writer lock, rotation lease);
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
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import timedelta
from typing import Any, TypeVar

import hvac
import hvac.exceptions
from hvac.utils import format_url

from secrets_adapter.clock import MonotonicClock, WallClock, monotonic, utcnow
from secrets_adapter.config import VaultSettings
from secrets_adapter.errors import (
    ConflictError,
    ProviderError,
    SecretNotFoundError,
    SecretsAdapterError,
    SecretScheduledForDeletionError,
    ValidationError,
)
from secrets_adapter.models import (
    DEFAULT_RECOVERY_WINDOW,
    Secret,
    SecretMetadata,
    SecretValue,
    Stage,
    VersionInfo,
)
from secrets_adapter.providers.base import BatchResult, check_recovery_window, get_each, merged_tags
from secrets_adapter.providers.staging import move_label
from secrets_adapter.providers.vault_client import auth_from_settings, session_from_settings
from secrets_adapter.providers.vault_codec import decode_value, encode_value, same_stored_value
from secrets_adapter.providers.vault_errors import translate_errors
from secrets_adapter.providers.vault_lock import LOCK_FOLDER, SecretLocks
from secrets_adapter.providers.vault_session import VaultSession
from secrets_adapter.providers.vault_stages import (
    DELETION_KEY,
    KvState,
    VersionStatus,
    check_tag_key,
    check_token,
    derive_stages,
    parse_state,
    parse_vault_time,
    record_from_custom,
)
from secrets_adapter.validation import validate_name

__all__ = [
    "PutManyError",
    "VaultProvider",
    "auth_from_settings",
    "session_from_settings",
    "translate_errors",
]

T = TypeVar("T")
_KIND = "vault"
_RESERVED_FOLDER = LOCK_FOLDER.partition("/")[0]
DEFAULT_WRITE_WORKERS = 8


class PutManyError(ProviderError):
    """Some writes of a ``put_many`` failed; the others were written (and are current)."""

    def __init__(
        self,
        message: str,
        *,
        written: Mapping[str, VersionInfo],
        failures: Mapping[str, SecretsAdapterError],
    ) -> None:
        super().__init__(message, provider=_KIND)
        self.written = dict(written)
        self.failures = dict(failures)


def _check_path(name: str) -> str:
    validate_name(name)
    if any(part in ("", ".", "..") for part in name.split("/")):
        raise ValidationError(
            f"Invalid secret name {name!r} for Vault: path segments between '/' must be "
            "non-empty and not '.' or '..'.",
            secret_name=name,
        )
    if name.split("/", maxsplit=1)[0] == _RESERVED_FOLDER:
        raise ValidationError(
            f"Invalid secret name {name!r} for Vault: {_RESERVED_FOLDER!r} is the folder of "
            "the adapter's lock entries; choose another first segment.",
            secret_name=name,
        )
    return name


def _response_of_read(exc: hvac.exceptions.InvalidPath) -> Any:
    """A 404 that still describes the version (deleted or destroyed), else None."""
    body = getattr(exc, "json", None)
    data = body.get("data") if isinstance(body, dict) else None
    return body if isinstance(data, dict) and isinstance(data.get("metadata"), dict) else None


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
        self._session = session
        self._mount = mount.strip("/")
        self._root = root.strip("/")
        self._clock = clock
        self._write_workers = write_workers
        self._locks = SecretLocks(session, mount=self._mount, clock=clock, wait=lock_wait)

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
        return self._session

    def __repr__(self) -> str:
        return (
            f"VaultProvider(address={self._session.active_address!r}, mount={self._mount!r}, "
            f"root={self._root!r}, auth={self._session.auth_method!r})"
        )

    def close(self) -> None:
        """Close the HTTP connections (the token is left to expire; it may be shared)."""
        self._session.close()

    # --- plumbing ------------------------------------------------------------------------------

    def _path(self, name: str) -> str:
        return f"{self._root}/{name}" if self._root else name

    def _lock_path(self, name: str) -> str:
        return f"{LOCK_FOLDER}/{self._path(name)}"

    def _call(self, name: str | None, action: str, operation: Callable[[hvac.Client], T]) -> T:
        with translate_errors(name, action):
            return self._session.call(operation)

    def _kv(self, client: hvac.Client) -> Any:
        return client.secrets.kv.v2

    def _not_found(self, name: str, what: str = "") -> SecretNotFoundError:
        return SecretNotFoundError(
            f"Secret {name!r}{what} not found in Vault.", secret_name=name, provider=_KIND
        )

    def _metadata(self, name: str) -> KvState | None:
        path = self._path(name)

        def read(client: hvac.Client) -> Any:
            return self._kv(client).read_secret_metadata(path=path, mount_point=self._mount)

        try:
            response = self._call(name, "read metadata", read)
        except SecretNotFoundError:
            return None
        return parse_state(response["data"])

    def _check_deletion(self, name: str, deletion_date: Any) -> None:
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
        state = self._metadata(name)
        if state is not None and self._expired(state):
            self._destroy(name)
            return None
        if state is not None:
            self._check_deletion(name, state.deletion_date)
        return state

    def _read_raw(self, name: str, number: int | None) -> Any:
        """A version's response ``data`` (``data`` None when deleted or destroyed)."""
        path = self._path(name)

        def read(client: hvac.Client) -> Any:
            try:
                return self._kv(client).read_secret_version(
                    path=path,
                    version=number,
                    mount_point=self._mount,
                    raise_on_deleted_version=True,
                )
            except hvac.exceptions.InvalidPath as exc:
                described = _response_of_read(exc)
                if described is None:
                    raise
                return described

        return self._call(name, "read", read)["data"]

    def _gone(self, name: str, number: int, what: str, destroyed: bool) -> SecretNotFoundError:
        where = f"{self._mount}/{self._path(name)}"
        if destroyed:
            message = (
                f"Secret {name!r}: {what} (Vault version {number}) was destroyed in Vault; its "
                "data is gone, and no older version is served in its place. Write a new value, "
                f"or read an intact older version explicitly (--version; 'bao kv metadata get "
                f"{where}' lists them)."
            )
        else:
            message = (
                f"Secret {name!r}: {what} (Vault version {number}) was deleted in Vault, so it "
                "is not served, nor any older version in its place. Undelete it with "
                f"'bao kv undelete -versions={number} {where}' (or 'secrets-adapter restore "
                f"{name}'), or write a new value."
            )
        return SecretNotFoundError(message, secret_name=name, provider=_KIND)

    def _secret(
        self, name: str, number: int, response: Any, labels: frozenset[Stage], what: str
    ) -> Secret:
        metadata = response.get("metadata") or {}
        if response.get("data") is None:
            raise self._gone(name, number, what, bool(metadata.get("destroyed")))
        return Secret(
            name=name,
            value=decode_value(response["data"], name=name),
            version_id=str(number),
            stages=labels,
            created_at=parse_vault_time(metadata.get("created_time")),
        )

    def _write_data(self, name: str, data: dict[str, Any], *, cas: int) -> int:
        path = self._path(name)

        def write(client: hvac.Client) -> Any:
            return self._kv(client).create_or_update_secret(
                path=path, secret=data, cas=cas, mount_point=self._mount
            )

        return int(self._call(name, "write", write)["data"]["version"])

    def _write_custom(self, name: str, custom: dict[str, str]) -> None:
        path = self._path(name)

        url = format_url("/v1/{mount}/metadata/{path}", mount=self._mount, path=path)

        def write(client: hvac.Client) -> Any:
            # Only custom_metadata: hvac's update_metadata would reset delete_version_after.
            return client.adapter.post(url=url, json={"custom_metadata": custom})

        self._call(name, "update metadata", write)

    def _destroy(self, name: str) -> None:
        path = self._path(name)

        def destroy(client: hvac.Client) -> Any:
            return self._kv(client).delete_metadata_and_all_versions(
                path=path, mount_point=self._mount
            )

        self._call(name, "destroy", destroy)

    # --- reads ---------------------------------------------------------------------------------

    def get(self, name: str, *, version: str | None = None, stage: Stage = Stage.CURRENT) -> Secret:
        _check_path(name)
        if version is not None:
            state = self._live(name, self._metadata(name))
            number = state.number_of(version)
            if number is None:
                raise self._not_found(name, f" with version {version!r}")
            response = self._read_raw(name, number)
            return self._secret(name, number, response, state.labels(number), f"version {number}")
        try:
            response = self._read_raw(name, None)
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
            response = self._read_raw(name, number)
        labels = frozenset(held for held, at in stages.items() if at == number)
        return self._secret(name, number, response, labels, f"its {stage.value} version")

    def get_many(self, names: Sequence[str]) -> BatchResult:
        return get_each(self, names)

    def list_names(self, prefix: str = "") -> list[str]:
        folder = prefix.rpartition("/")[0]
        found = [name for name in self._walk(folder) if name.startswith(prefix)]
        live = []
        for name in found:
            state = self._metadata(name)
            newest = state.versions.get(state.latest) if state is not None else None
            if state is not None and state.deletion_date is None and newest and newest.live:
                live.append(name)
        return sorted(live)

    def _walk(self, folder: str) -> list[str]:
        """Every secret name under ``folder`` (recursive KV LIST), lock entries left out."""
        base = self._path(folder) if folder else self._root

        def listing(client: hvac.Client) -> Any:
            return self._kv(client).list_secrets(path=base, mount_point=self._mount)

        try:
            keys: list[str] = self._call(folder or None, "list", listing)["data"]["keys"]
        except SecretNotFoundError:
            return []
        names: list[str] = []
        for key in keys:
            if not folder and key == _RESERVED_FOLDER + "/":
                continue
            child = f"{folder}/{key}" if folder else key
            if key.endswith("/"):
                names.extend(self._walk(child.rstrip("/")))
            else:
                names.append(child)
        return names

    def describe(self, name: str) -> SecretMetadata:
        _check_path(name)
        state = self._metadata(name)
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
        _check_path(name)
        data = encode_value(value)
        with self._locks.writer(name, self._lock_path(name)):
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

    def put_many(self, items: Mapping[str, SecretValue]) -> dict[str, VersionInfo]:
        """``put`` each item, ``write_workers`` at a time (Vault has no batch write).

        Every name and value is checked before the first write. If some writes fail, the others
        stay written and ``PutManyError`` lists each failed name with its own error.
        """
        for name, value in items.items():
            _check_path(name)
            encode_value(value)
        if not items:
            return {}
        written: dict[str, VersionInfo] = {}
        failures: dict[str, SecretsAdapterError] = {}

        def put_one(name: str) -> None:
            try:
                written[name] = self.put(name, items[name])
            except SecretsAdapterError as exc:
                failures[name] = exc

        with ThreadPoolExecutor(max_workers=min(self._write_workers, len(items))) as pool:
            list(pool.map(put_one, items))
        if failures:
            listed = "; ".join(
                f"{name!r}: {type(exc).__name__}: {exc.message}"
                for name, exc in sorted(failures.items())
            )
            raise PutManyError(
                f"put_many wrote {len(written)} of {len(items)} secrets to Vault; these failed "
                f"and can be retried on their own: {listed}",
                written=written,
                failures=failures,
            )
        return {name: written[name] for name in items}

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
            number = self._write_data(name, data, cas=0)
            state = KvState(latest=number)
            before: dict[str, str] | None = None
        else:
            number = state.latest + 1
            before = state.custom_metadata()
        state.versions[number] = VersionStatus(created_at=self._clock())
        labels = {**state.id_labels(), str(number): frozenset[Stage]()}
        if stage is Stage.CURRENT or Stage.CURRENT not in state.stages or before is None:
            labels = move_label(labels, Stage.CURRENT, to_version=str(number), name=name)
        if stage is not None and stage is not Stage.CURRENT:
            labels = move_label(labels, stage, to_version=str(number), name=name)
        state.set_id_labels(labels)
        state.latest = number
        if token is not None:
            state.tokens[token] = number
        self._write_custom(name, state.custom_metadata())
        if before is not None:
            try:
                self._write_data(name, data, cas=number - 1)
            except ConflictError:
                with contextlib.suppress(SecretsAdapterError):
                    self._write_custom(name, before)
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
        _check_path(name)
        check_token(token, name=name)
        data = encode_value(value)
        with self._locks.writer(name, self._lock_path(name)):
            state = self._writable_state(name)
            number = state.number_of(token) if state is not None and token in state.tokens else None
            if state is not None and number is not None:
                stored = self._secret(
                    name, number, self._read_raw(name, number), state.labels(number), "version"
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
        _check_path(name)
        with self._locks.writer(name, self._lock_path(name)):
            state = self._live(name, self._metadata(name))

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
            self._write_custom(name, state.custom_metadata())

    def set_tags(self, name: str, tags: Mapping[str, str]) -> None:
        _check_path(name)
        for key in tags:
            check_tag_key(key, name=name)
        with self._locks.writer(name, self._lock_path(name)):
            state = self._live(name, self._metadata(name))
            state.tags = merged_tags(state.tags, tags)
            self._write_custom(name, state.custom_metadata())

    def acquire_rotation_lease(self, name: str, *, owner: str, ttl: timedelta) -> bool:
        """Take the rotation lease of ``name`` for ``ttl`` (check-and-set: of two processes
        asking at once, exactly one gets True); True again for the owner that holds it."""
        _check_path(name)
        self._live(name, self._metadata(name))
        return self._locks.acquire_lease(name, self._lock_path(name), owner=owner, ttl=ttl)

    def release_rotation_lease(self, name: str, *, owner: str) -> None:
        """Give the lease back if ``owner`` holds it (an expired one needs nothing)."""
        _check_path(name)
        self._locks.release_lease(name, self._lock_path(name), owner=owner)

    def delete(
        self,
        name: str,
        *,
        recovery_window: timedelta = DEFAULT_RECOVERY_WINDOW,
        force: bool = False,
    ) -> None:
        _check_path(name)
        if not force:
            check_recovery_window(recovery_window, name=name)
        if force:
            if self._metadata(name) is None:
                raise self._not_found(name)
            self._destroy(name)
            self._locks.forget(name, self._lock_path(name))
            return
        with self._locks.writer(name, self._lock_path(name)):
            state = self._metadata(name)
            if state is None or self._expired(state):
                if state is not None:
                    self._destroy(name)
                raise self._not_found(name)
            self._live(name, state)  # already scheduled: say so, keep the first date
            state.deletion_date = self._clock() + recovery_window
            self._write_custom(name, state.custom_metadata())
            numbers = state.live_versions
            path = self._path(name)

            def soft_delete(client: hvac.Client) -> Any:
                return self._kv(client).delete_secret_versions(
                    path=path, versions=numbers, mount_point=self._mount
                )

            if numbers:
                self._call(name, "delete", soft_delete)

    def restore(self, name: str) -> None:
        """Cancel a scheduled deletion, and undelete versions deleted in Vault."""
        _check_path(name)
        with self._locks.writer(name, self._lock_path(name)):
            state = self._metadata(name)
            if state is None or self._expired(state):
                raise self._not_found(name)
            numbers = state.soft_deleted
            if numbers:
                path = self._path(name)

                def undelete(client: hvac.Client) -> Any:
                    return self._kv(client).undelete_secret_versions(
                        path=path, versions=numbers, mount_point=self._mount
                    )

                self._call(name, "restore", undelete)
            if state.deletion_date is not None:
                state.deletion_date = None
                self._write_custom(name, state.custom_metadata())
