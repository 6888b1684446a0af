"""``VaultProvider``: HashiCorp Vault / OpenBao KV v2 as a ``VersionedProvider``.

A secret ``name`` lives at ``<mount>/data/<root>/<name>``: names are full (the adapter has already
put its ``prefix`` in front of a relative name, so ``VaultSettings.prefix`` is not added again);
``root`` (``VaultSettings.path_root``, default none) is an optional folder that holds them all.

Versions are Vault's; stages, tokens, tags and the deletion date are kept in the secret's
``custom_metadata`` (``vault_codec``), so the four-step rotation runs here exactly as on AWS.
Data writes use check-and-set (``cas``): two writers never lose an update. Stage moves rewrite
``custom_metadata``, which KV v2 cannot check-and-set: concurrent rotators of one secret are
serialized by the rotation engine, not here.

Deletion with a recovery window soft-deletes every version and records the date; ``restore``
undeletes them. Vault has no timer, so a secret whose date has passed reads as gone and the next
write (or ``delete``) destroys it. ``force`` destroys at once.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import timedelta
from typing import Any, TypeVar

import hvac
import hvac.exceptions
import requests

from secrets_adapter.clock import MonotonicClock, WallClock, monotonic, utcnow
from secrets_adapter.config import VaultSettings
from secrets_adapter.errors import (
    AccessDeniedError,
    ConfigurationError,
    ConflictError,
    ProviderError,
    ProviderUnavailableError,
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
from secrets_adapter.providers.base import (
    BatchResult,
    check_recovery_window,
    get_each,
    merged_tags,
)
from secrets_adapter.providers.staging import move_label
from secrets_adapter.providers.vault_codec import (
    KvState,
    check_tag_key,
    check_token,
    decode_value,
    encode_value,
    parse_state,
    state_from_latest_read,
)
from secrets_adapter.providers.vault_session import (
    AppRoleAuth,
    KubernetesAuth,
    TokenAuth,
    VaultAuth,
    VaultSession,
    is_transient,
)
from secrets_adapter.validation import validate_name

__all__ = ["VaultProvider", "auth_from_settings", "session_from_settings", "translate_errors"]

T = TypeVar("T")
_KIND = "vault"


@contextlib.contextmanager
def translate_errors(name: str | None, action: str) -> Iterator[None]:
    """The one table from hvac/requests failures to our errors (the SDK error is the cause)."""
    try:
        yield
    except SecretsAdapterError:
        raise
    except hvac.exceptions.InvalidPath as exc:
        raise SecretNotFoundError(
            f"Secret {name!r} not found in Vault.", secret_name=name, provider=_KIND
        ) from exc
    except hvac.exceptions.Forbidden as exc:
        raise AccessDeniedError(
            f"Vault denied {action} on secret {name!r}: the token's policy does not allow it.",
            secret_name=name,
            provider=_KIND,
        ) from exc
    except hvac.exceptions.InvalidRequest as exc:
        if is_transient(exc):
            raise ProviderUnavailableError(
                f"Vault is briefly unavailable for {action} on secret {name!r} (the KV mount "
                "is starting on a new leader).",
                secret_name=name,
                provider=_KIND,
            ) from exc
        if "check-and-set" in str(exc):
            raise ConflictError(
                f"Secret {name!r} changed in Vault meanwhile (check-and-set mismatch); "
                "re-read and try again.",
                secret_name=name,
                provider=_KIND,
            ) from exc
        raise ProviderError(
            f"Vault rejected {action} on secret {name!r} as an invalid request.",
            secret_name=name,
            provider=_KIND,
        ) from exc
    except (hvac.exceptions.VaultError, requests.exceptions.RequestException) as exc:
        if is_transient(exc):
            raise ProviderUnavailableError(
                f"Vault is unavailable for {action} on secret {name!r} "
                f"({type(exc).__name__}): unreachable, sealed, throttled or failing.",
                secret_name=name,
                provider=_KIND,
            ) from exc
        raise ProviderError(
            f"Vault failed {action} on secret {name!r} ({type(exc).__name__}).",
            secret_name=name,
            provider=_KIND,
        ) from exc


def auth_from_settings(settings: VaultSettings) -> VaultAuth:
    """The login method ``settings.auth_method`` names, with its credentials checked."""
    method = settings.auth_method
    if method == "token":
        if settings.token is None:
            raise ConfigurationError("Vault token auth needs a token: set VAULT_TOKEN.")
        return TokenAuth(token=settings.token)
    if method == "approle":
        if not settings.role_id or settings.secret_id_file is None:
            raise ConfigurationError(
                "Vault AppRole auth needs a role id and a secret-id file "
                "(VAULT_ROLE_ID, VAULT_SECRET_ID_FILE)."
            )
        return AppRoleAuth(
            role_id=settings.role_id,
            secret_id_file=settings.secret_id_file,
            mount=settings.auth_mount or "approle",
        )
    if method == "kubernetes":
        if not settings.kubernetes_role:
            raise ConfigurationError("Vault Kubernetes auth needs a role (VAULT_KUBERNETES_ROLE).")
        return KubernetesAuth(
            role=settings.kubernetes_role,
            jwt_path=settings.kubernetes_jwt_path,
            mount=settings.auth_mount or "kubernetes",
        )
    raise ConfigurationError(
        f"Unknown Vault auth method {method!r}: choose token, approle or kubernetes."
    )


def session_from_settings(
    settings: VaultSettings,
    *,
    clients: Sequence[hvac.Client] | None = None,
    monotonic_clock: MonotonicClock = monotonic,
    sleep: Callable[[float], None] | None = None,
) -> VaultSession:
    """A session over ``settings.url`` then ``settings.addresses`` (or the injected clients)."""
    if clients is None:
        addresses = [settings.url, *(a for a in settings.addresses if a != settings.url)]
        clients = [
            hvac.Client(
                url=address,
                token=None,
                verify=settings.verify,
                timeout=settings.timeout,  # type: ignore[arg-type]  # requests takes floats
                namespace=settings.namespace,
            )
            for address in addresses
        ]
    options: dict[str, Any] = {}
    if sleep is not None:
        options["sleep"] = sleep
    return VaultSession(
        clients,
        auth_from_settings(settings),
        timeout=settings.timeout,
        clock=monotonic_clock,
        **options,
    )


def _check_path(name: str) -> str:
    validate_name(name)
    if any(part in ("", ".", "..") for part in name.split("/")):
        raise ValidationError(
            f"Invalid secret name {name!r} for Vault: path segments between '/' must be "
            "non-empty and not '.' or '..'.",
            secret_name=name,
        )
    return name


class VaultProvider:
    """KV v2 on Vault or OpenBao, with stages in ``custom_metadata``; see the module docstring."""

    def __init__(
        self,
        session: VaultSession,
        *,
        mount: str = "secret",
        root: str = "",
        clock: WallClock = utcnow,
    ) -> None:
        self._session = session
        self._mount = mount.strip("/")
        self._root = root.strip("/")
        self._clock = clock

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

    def _call(self, name: str | None, action: str, operation: Callable[[hvac.Client], T]) -> T:
        with translate_errors(name, action):
            return self._session.call(operation)

    def _kv(self, client: hvac.Client) -> Any:
        return client.secrets.kv.v2

    def _metadata(self, name: str) -> KvState | None:
        path = self._path(name)

        def read(client: hvac.Client) -> Any:
            return self._kv(client).read_secret_metadata(path=path, mount_point=self._mount)

        try:
            response = self._call(name, "read metadata", read)
        except SecretNotFoundError:
            return None
        return parse_state(response["data"])

    def _not_found(self, name: str, what: str = "") -> SecretNotFoundError:
        return SecretNotFoundError(
            f"Secret {name!r}{what} not found in Vault.", secret_name=name, provider=_KIND
        )

    def _expired(self, state: KvState) -> bool:
        return state.deletion_date is not None and state.deletion_date <= self._clock()

    def _live(self, name: str, state: KvState | None) -> KvState:
        """The state of a readable secret; scheduled deletion and absence are errors."""
        if state is None or self._expired(state) or not state.versions:
            raise self._not_found(name)
        if state.deletion_date is not None:
            raise SecretScheduledForDeletionError(
                f"Secret {name!r} is scheduled for deletion on {state.deletion_date:%Y-%m-%d}; "
                "restore it to read it again.",
                secret_name=name,
                provider=_KIND,
            )
        return state

    def _writable_state(self, name: str) -> KvState | None:
        """The state before a write: None for a new secret; an expired deletion is purged."""
        state = self._metadata(name)
        if state is not None and self._expired(state):
            self._destroy(name)
            return None
        if state is not None and state.deletion_date is not None:
            self._live(name, state)
        return state

    def _read_version(self, name: str, number: int) -> Any:
        path = self._path(name)

        def read(client: hvac.Client) -> Any:
            return self._kv(client).read_secret_version(
                path=path, version=number, mount_point=self._mount, raise_on_deleted_version=True
            )

        return self._call(name, "read", read)["data"]

    def _write_data(self, name: str, value: SecretValue, *, cas: int) -> int:
        path = self._path(name)
        data = encode_value(value)

        def write(client: hvac.Client) -> Any:
            return self._kv(client).create_or_update_secret(
                path=path, secret=data, cas=cas, mount_point=self._mount
            )

        return int(self._call(name, "write", write)["data"]["version"])

    def _write_metadata(self, name: str, state: KvState) -> None:
        path = self._path(name)
        custom = state.custom_metadata()

        def write(client: hvac.Client) -> Any:
            return self._kv(client).update_metadata(
                path=path,
                custom_metadata=custom,
                delete_version_after=state.delete_version_after,
                mount_point=self._mount,
            )

        self._call(name, "update metadata", write)

    def _destroy(self, name: str) -> None:
        path = self._path(name)

        def destroy(client: hvac.Client) -> Any:
            return self._kv(client).delete_metadata_and_all_versions(
                path=path, mount_point=self._mount
            )

        self._call(name, "destroy", destroy)

    def _secret(self, name: str, state: KvState, number: int) -> Secret:
        data = self._read_version(name, number)
        return Secret(
            name=name,
            value=decode_value(data["data"], name=name),
            version_id=state.version_id(number),
            stages=state.labels.get(number, frozenset()),
            created_at=state.versions.get(number),
        )

    # --- reads ---------------------------------------------------------------------------------

    def get(self, name: str, *, version: str | None = None, stage: Stage = Stage.CURRENT) -> Secret:
        _check_path(name)
        if version is None and stage is Stage.CURRENT:
            secret = self._current_in_one_read(name)
            if secret is not None:
                return secret
        state = self._live(name, self._metadata(name))
        number = state.number_of(version) if version is not None else state.holder(stage)
        if number is None:
            wanted = f"version {version!r}" if version is not None else f"stage {stage.value!r}"
            raise self._not_found(name, f" with {wanted}")
        return self._secret(name, state, number)

    def _current_in_one_read(self, name: str) -> Secret | None:
        """The newest version when it is current (the usual case); None: read the metadata."""
        path = self._path(name)

        def read(client: hvac.Client) -> Any:
            return self._kv(client).read_secret_version(
                path=path, mount_point=self._mount, raise_on_deleted_version=False
            )

        try:
            data = self._call(name, "read", read)["data"]
        except SecretNotFoundError:
            return None  # absent, or its newest version destroyed: the metadata tells which
        state = state_from_latest_read(data.get("metadata") or {})
        if state is None or data.get("data") is None:
            return None
        number = state.latest
        return Secret(
            name=name,
            value=decode_value(data["data"], name=name),
            version_id=state.version_id(number),
            stages=state.labels[number],
            created_at=state.versions[number],
        )

    def get_many(self, names: Sequence[str]) -> BatchResult:
        return get_each(self, names)

    def list_names(self, prefix: str = "") -> list[str]:
        folder = prefix.rpartition("/")[0]
        found = [name for name in self._walk(folder) if name.startswith(prefix)]
        live = []
        for name in found:
            state = self._metadata(name)
            if state is not None and state.deletion_date is None and state.versions:
                live.append(name)
        return sorted(live)

    def _walk(self, folder: str) -> list[str]:
        """Every secret name under ``folder`` (recursive KV LIST)."""
        base = self._path(folder) if folder else self._root

        def listing(client: hvac.Client) -> Any:
            return self._kv(client).list_secrets(path=base, mount_point=self._mount)

        try:
            keys: list[str] = self._call(folder or None, "list", listing)["data"]["keys"]
        except SecretNotFoundError:
            return []
        names: list[str] = []
        for key in keys:
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
                    version_id=state.version_id(number),
                    stages=state.labels[number],
                    created_at=created,
                )
                for number, created in state.versions.items()
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
        state = self._writable_state(name)
        current = state.holder(Stage.CURRENT) if state else None
        if expected_current is not None and (
            current is None or state is None or state.version_id(current) != expected_current
        ):
            raise ConflictError(
                f"Secret {name!r} changed meanwhile (current is not {expected_current!r}); "
                "re-read and try again.",
                secret_name=name,
                provider=_KIND,
            )
        return self._add_version(name, value, state, stage=Stage.CURRENT, token=None)

    def _add_version(
        self,
        name: str,
        value: SecretValue,
        state: KvState | None,
        *,
        stage: Stage | None,
        token: str | None,
    ) -> VersionInfo:
        number = self._write_data(name, value, cas=state.latest if state else 0)
        if state is None:
            state = KvState()
        state.versions[number] = self._clock()
        state.labels[number] = frozenset()
        state.latest = number
        if token is not None:
            state.tokens[token] = number
        version_id = state.version_id(number)
        labels = state.id_labels()
        if stage is Stage.CURRENT or state.holder(Stage.CURRENT) is None:
            labels = move_label(labels, Stage.CURRENT, to_version=version_id, name=name)
        if stage is not None and stage is not Stage.CURRENT:
            labels = move_label(labels, stage, to_version=version_id, name=name)
        state.set_id_labels(labels)
        self._write_metadata(name, state)
        return VersionInfo(
            name=name,
            version_id=version_id,
            stages=state.labels[number],
            created_at=state.versions[number],
        )

    def put_version(
        self,
        name: str,
        value: SecretValue,
        *,
        token: str,
        stage: Stage | None = Stage.PENDING,
    ) -> VersionInfo:
        _check_path(name)
        check_token(token, name=name)
        state = self._writable_state(name)
        number = state.tokens.get(token) if state else None
        if state is not None and number is not None and number in state.versions:
            stored = self._secret(name, state, number)
            if stored.value != value:
                raise ConflictError(
                    f"Version {token!r} of secret {name!r} already exists with a different "
                    "value; use a new token for a new value.",
                    secret_name=name,
                    provider=_KIND,
                )
            return stored.version
        return self._add_version(name, value, state, stage=stage, token=token)

    def move_stage(
        self,
        name: str,
        stage: Stage,
        *,
        to_version: str | None,
        from_version: str | None = None,
    ) -> None:
        _check_path(name)
        state = self._live(name, self._metadata(name))
        labels = move_label(
            state.id_labels(), stage, to_version=to_version, from_version=from_version, name=name
        )
        state.set_id_labels(labels)
        self._write_metadata(name, state)

    def set_tags(self, name: str, tags: Mapping[str, str]) -> None:
        _check_path(name)
        state = self._live(name, self._metadata(name))
        for key in tags:
            check_tag_key(key, name=name)
        state.tags = merged_tags(state.tags, tags)
        self._write_metadata(name, state)

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
        state = self._metadata(name)
        if state is None or self._expired(state):
            if state is not None:
                self._destroy(name)
            raise self._not_found(name)
        if force:
            self._destroy(name)
            return
        self._live(name, state)  # already scheduled: say so, keep the first date
        state.deletion_date = self._clock() + recovery_window
        self._write_metadata(name, state)
        numbers = list(state.versions)
        path = self._path(name)

        def soft_delete(client: hvac.Client) -> Any:
            return self._kv(client).delete_secret_versions(
                path=path, versions=numbers, mount_point=self._mount
            )

        self._call(name, "delete", soft_delete)

    def restore(self, name: str) -> None:
        _check_path(name)
        state = self._metadata(name)
        if state is None or self._expired(state):
            raise self._not_found(name)
        if state.soft_deleted:
            path = self._path(name)
            numbers = list(state.soft_deleted)

            def undelete(client: hvac.Client) -> Any:
                return self._kv(client).undelete_secret_versions(
                    path=path, versions=numbers, mount_point=self._mount
                )

            self._call(name, "restore", undelete)
        if state.deletion_date is not None:
            state.deletion_date = None
            self._write_metadata(name, state)
