"""``SecretsAdapter``: the main API — names in, values out, through cache and provider.

Compatible with the design the project comes from (``get_secret`` returns a dict,
``get_secret_value`` a string), but typed, cached, and honest about errors: a missing key is a
``SecretFormatError``, never an empty string.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from secrets_adapter.audit import AuditTrail, open_trail
from secrets_adapter.cache import Duration, SecretCache
from secrets_adapter.clock import MonotonicClock, WallClock, monotonic, utcnow
from secrets_adapter.config import (
    AwsSettings,
    CacheSettings,
    EnvSettings,
    LocalSettings,
    Settings,
    VaultSettings,
    load_settings,
)
from secrets_adapter.env_names import normalize_prefix
from secrets_adapter.errors import (
    ConfigurationError,
    PolicyDeniedError,
    SecretFormatError,
    SecretsAdapterError,
    ValidationError,
)
from secrets_adapter.events import AccessEvent, CacheResult, EventBus, Listener, Outcome
from secrets_adapter.models import (
    DEFAULT_RECOVERY_WINDOW,
    Secret,
    SecretMetadata,
    SecretValue,
    Stage,
    VersionInfo,
    json_object,
)
from secrets_adapter.policy import OPERATION_ACTIONS, Authorizer, Policy, load_policy
from secrets_adapter.providers.base import Provider, VersionedProvider, WritableProvider
from secrets_adapter.providers.factory import build_provider
from secrets_adapter.redaction import RedactingFilter, ServedValues
from secrets_adapter.references import resolve_references
from secrets_adapter.validation import validate_name

if TYPE_CHECKING:
    from secrets_adapter.rotation.engine import RotationEngine

__all__ = ["SecretsAdapter", "secret_as_dict", "secret_field"]

ValueInput = str | bytes | SecretValue | Mapping[str, Any]

_BYPASS = CacheResult.BYPASS
_QUALIFIED_MEMO_SIZE = 4096  # names seen; cleared when full, so dynamic names cannot grow it


def secret_as_dict(secret: Secret) -> dict[str, Any]:
    """The design's shape: a JSON object → dict; a string → ``{"value": s}``; binary → bytes."""
    value = secret.value
    if value.is_binary:
        return {"value": value.reveal_bytes()}
    parsed = json_object(value)
    return parsed if parsed is not None else {"value": value.reveal_text()}


def secret_field(secret: Secret, key: str) -> str:
    """One key of a JSON object secret as text (a non-string field as JSON). A value that is not
    a JSON object, or lacks the key, is a ``SecretFormatError`` naming the secret and the key."""
    try:
        data = secret.value.json()
    except SecretFormatError:  # json() raises with no parser error behind it: nothing to leak
        raise SecretFormatError(
            f"Secret {secret.name!r} is not valid JSON, so it has no key {key!r}; "
            "read it without a key.",
            secret_name=secret.name,
        ) from None
    if not isinstance(data, dict):
        raise SecretFormatError(
            f"Secret {secret.name!r} is not a JSON object, so it has no key {key!r}; "
            "read it without a key.",
            secret_name=secret.name,
        )
    if key not in data:
        raise SecretFormatError(
            f"Secret {secret.name!r} has no key {key!r} (keys: {', '.join(sorted(data))}).",
            secret_name=secret.name,
        )
    field_value = data[key]
    return field_value if isinstance(field_value, str) else json.dumps(field_value)


def _to_value(value: ValueInput) -> SecretValue:
    if isinstance(value, SecretValue):
        return value
    if isinstance(value, Mapping):
        try:
            text = json.dumps(dict(value), separators=(",", ":"), ensure_ascii=False)
        except (TypeError, ValueError, RecursionError):  # the encoder's message is not shown
            raise SecretFormatError(
                "A dict is stored as a JSON object, and this one holds something JSON cannot "
                "encode: use str, int, float, bool, None, lists and dicts (encode bytes first)."
            ) from None
        return SecretValue(text)
    return SecretValue(value)


class SecretsAdapter:
    """One object for reading and managing secrets, whatever the backend.

    ``SecretsAdapter()`` opens the embedded store in ``.secrets/``;
    ``SecretsAdapter(backend="env", env_file=".env", prefix="gaara/prod")`` reads a .env file;
    ``SecretsAdapter(provider=obj)`` wraps any object satisfying ``Provider``;
    ``SecretsAdapter.from_env()`` follows ``SECRETS_BACKEND`` / ``ENVIRONMENT``.
    """

    def __init__(
        self,
        backend: str | None = None,
        *,
        provider: Provider | None = None,
        settings: Settings | None = None,
        prefix: str | None = None,
        path: str | os.PathLike[str] | None = None,
        master_key: str | SecretValue | None = None,
        env_file: str | os.PathLike[str] | None = None,
        region: str | None = None,
        endpoint_url: str | None = None,
        kms_key_id: str | None = None,
        url: str | None = None,
        token: str | SecretValue | None = None,
        mount: str | None = None,
        namespace: str | None = None,
        principal: str | None = None,
        audit_log: str | os.PathLike[str] | AuditTrail | None = None,
        audit_mode: str | None = None,
        policy: str | os.PathLike[str] | Policy | None = None,
        listeners: Iterable[Listener] = (),
        clock: WallClock = utcnow,
        cache: bool | None = None,
        cache_ttl: Duration | None = None,
        max_stale: Duration | None = None,
        refresh_ahead: float | None = None,
        max_entries: int | None = None,
        cache_ttls: Mapping[str, Duration] | None = None,
        monotonic_clock: MonotonicClock = monotonic,
    ) -> None:
        base = settings or Settings()
        if backend is not None:
            base = replace(base, backend=backend)
        if prefix is not None:
            base = replace(base, prefix=normalize_prefix(prefix))
        self._settings = _apply_overrides(
            base,
            path=path,
            master_key=master_key,
            env_file=env_file,
            region=region,
            endpoint_url=endpoint_url,
            kms_key_id=kms_key_id,
            url=url,
            token=token,
            mount=mount,
            namespace=namespace,
        )
        self._settings = replace(
            self._settings,
            cache=_cache_overrides(
                self._settings.cache,
                enabled=cache,
                ttl=cache_ttl,
                max_stale=max_stale,
                refresh_ahead=refresh_ahead,
                max_entries=max_entries,
            ),
        )
        access = self._settings.audit
        self._principal = principal or access.principal
        rules = _open_policy(policy if policy is not None else access.policy)
        self._authorizer = Authorizer(rules, self._principal) if rules is not None else None
        log = audit_log if audit_log is not None else access.log
        self._audit: AuditTrail | None = (
            open_trail(
                log,
                mode=audit_mode or access.mode,
                fail_open=access.fail_open,
                production=self._settings.is_production,
            )
            if log is not None
            else None
        )
        self._provider: Provider = (
            provider if provider is not None else build_provider(self._settings)
        )
        self._events = EventBus(listeners)
        self._record_read = (  # the audited hit path's hand-over to the trail
            self._audit.read_recorder(principal=self._principal, provider=self._provider.kind)
            if self._audit is not None
            else None
        )
        self._clock = clock
        self._served = ServedValues()
        self._qualified: dict[str, str] = {}
        self._cache: SecretCache | None = None
        if self._settings.cache.enabled and self._settings.cache.ttl > timedelta(0):
            self._cache = SecretCache(
                self._provider,
                ttl=self._settings.cache.ttl,
                max_stale=self._settings.cache.max_stale,
                refresh_ahead=self._settings.cache.refresh_ahead,
                max_entries=self._settings.cache.max_entries,
                stale_wait=self._settings.cache.stale_wait,
                min_refresh_interval=self._settings.cache.min_refresh_interval,
                ttl_overrides={self.qualify(n): ttl for n, ttl in (cache_ttls or {}).items()},
                clock=monotonic_clock,
                wall_clock=clock,
                events=self._events,
            )
        self._rotation: RotationEngine | None = None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> SecretsAdapter:
        """Configure from ``ENVIRONMENT``, ``SECRETS_BACKEND``, ``SECRETS_MANAGER_PREFIX``, ..."""
        settings = load_settings(os.environ if environ is None else environ)
        return cls(settings=settings, **overrides)

    # --- introspection -----------------------------------------------------------------------

    @property
    def provider(self) -> Provider:
        return self._provider

    @property
    def settings(self) -> Settings:
        return self._settings

    @property
    def prefix(self) -> str:
        return self._settings.prefix

    @property
    def events(self) -> EventBus:
        return self._events

    @property
    def served_values(self) -> ServedValues:
        """The text values this adapter has served, for ``redaction_filter`` (never printed)."""
        return self._served

    def redaction_filter(self) -> RedactingFilter:
        """A ``logging.Filter`` masking every value this adapter has served (attach to handlers)."""
        return RedactingFilter(self._served)

    def resolve_env(self, environ: Mapping[str, str] | None = None) -> dict[str, str]:
        """``environ`` (default ``os.environ``) with ``secret://NAME[#key]`` values resolved."""
        return resolve_references(os.environ if environ is None else environ, self.get_secret_value)

    @property
    def cache(self) -> SecretCache | None:
        """The read-through cache, or None with ``cache=False`` (or a TTL of 0)."""
        return self._cache

    def __repr__(self) -> str:
        return f"SecretsAdapter(backend={self._provider.kind!r}, prefix={self.prefix!r})"

    def qualify(self, name: str) -> str:
        """A relative name (no ``/``) gets the configured prefix: ``database-url`` →
        ``gaara/prod/database-url``. Full names pass through unchanged."""
        try:
            known = self._qualified.get(name)
        except TypeError:  # unhashable: not a name at all; let the rule say so
            known = validate_name(name)
        if known is not None:
            return known  # validated before: the hit path skips the regular expression
        full = validate_name(name)
        if self.prefix and "/" not in full:
            full = validate_name(f"{self.prefix}/{full}")
        if len(self._qualified) >= _QUALIFIED_MEMO_SIZE:
            self._qualified.clear()
        self._qualified[name] = full
        return full

    # --- reads ---------------------------------------------------------------------------------

    def get(
        self,
        name: str,
        *,
        version: str | None = None,
        stage: Stage = Stage.CURRENT,
        refresh: bool = False,
    ) -> Secret:
        """The typed read: a ``Secret`` whose value is masked until ``reveal()``.

        Served by the cache unless ``cache=False``; ``refresh=True`` asks the backend again (for a
        caller that just saw the value rejected), at most once per second per secret.
        """
        try:
            full = self._qualified[name]  # the hit path: a name seen before, already validated
        except (KeyError, TypeError):
            full = self.qualify(name)
        if self._authorizer is not None:  # checked here, not in _guard: the hit path stays short
            self._guard("get", full)
        cache = self._cache
        if cache is not None and not self._events.active and self._audit is None:
            secret = cache.get(full, version=version, stage=stage, refresh=refresh)
            if self._served.seen.get(id(secret.value)) is not secret.value:
                self._served.remember(secret.value)  # the first serve of this value object
            return secret
        started = time.perf_counter()
        try:
            if cache is not None:
                secret, result = cache.read(full, version=version, stage=stage, refresh=refresh)
            else:
                secret, result = self._provider.get(full, version=version, stage=stage), _BYPASS
        except SecretsAdapterError as exc:
            self._emit_access("get", full, started, error=exc, stage=stage)
            raise
        self._served.remember(secret.value)
        if self._record_read is not None and not self._events.active:  # only the trail listens
            duration = time.perf_counter() - started
            self._record_read("get", full, secret.version_id, stage, result, secret.value, duration)
            return secret
        self._emit_access(
            "get",
            full,
            started,
            version_id=secret.version_id,
            stage=stage,
            cache=result,
            value=secret.value,
        )
        return secret

    def get_secret(
        self,
        name: str,
        *,
        version: str | None = None,
        stage: Stage = Stage.CURRENT,
        refresh: bool = False,
    ) -> dict[str, Any]:
        """A JSON object secret as a dict; a string as ``{"value": s}``; binary as bytes."""
        return secret_as_dict(self.get(name, version=version, stage=stage, refresh=refresh))

    def get_secret_value(
        self,
        name: str,
        key: str | None = None,
        *,
        version: str | None = None,
        stage: Stage = Stage.CURRENT,
        refresh: bool = False,
    ) -> str:
        """The value as text, or one key of a JSON object secret.

        A missing key is a ``SecretFormatError`` naming the secret and the key, never ``""``.
        """
        secret = self.get(name, version=version, stage=stage, refresh=refresh)
        return secret.value.reveal_text() if key is None else secret_field(secret, key)

    def get_many(self, names: Sequence[str]) -> dict[str, Secret]:
        """Many secrets in one call where the backend allows; raises if any one failed,
        naming all that did (the others were still fetched, and are cached)."""
        qualified = dict.fromkeys(self.qualify(name) for name in names)
        denied = {full: err for full in qualified if (err := self._denial("get_many", full))}
        started = time.perf_counter()
        allowed = [full for full in qualified if full not in denied]
        served: Mapping[str, CacheResult] = {}
        if not allowed:
            result: Mapping[str, Secret | SecretsAdapterError] = {}
        elif self._cache is not None:
            result, served = self._cache.read_many(allowed)
        else:
            result = self._provider.get_many(allowed)
        found: dict[str, Secret] = {}
        failures: list[tuple[str, SecretsAdapterError]] = []
        for full in qualified:
            item = denied[full] if full in denied else result.get(full)
            if isinstance(item, Secret):
                found[full] = item
                self._served.remember(item.value)
                self._emit_access(
                    "get_many",
                    full,
                    started,
                    version_id=item.version_id,
                    cache=served.get(full, _BYPASS),
                    value=item.value,
                )
            else:
                error = item or SecretFormatError(
                    f"The provider returned nothing for secret {full!r}.", secret_name=full
                )
                failures.append((full, error))
                self._emit_access("get_many", full, started, error=error)
        if failures:
            first = failures[0][1]
            if len(failures) == 1:
                raise first
            listed = ", ".join(f"{full} ({type(err).__name__})" for full, err in failures)
            raise first.reworded(
                f"{len(failures)} secrets could not be read: {listed}.", secret_name=failures[0][0]
            ) from first
        # keyed as asked; a secret asked under two spellings ("a", "gaara/prod/a") answers both
        return {name: found[self.qualify(name)] for name in names}

    def preload(self, names: Sequence[str]) -> None:
        """Warm the cache at start-up: one batch read (one backend call where the backend has a
        batch API). Raises like ``get_many`` if any failed; the others stay cached."""
        self.get_many(names)

    def list_secrets(self, prefix: str | None = None) -> list[str]:
        """Names of live secrets starting with ``prefix`` (default: the adapter's prefix folder)
        that the policy lets this principal list."""
        if prefix is None:
            prefix = f"{self.prefix}/" if self.prefix else ""
        started = time.perf_counter()
        try:
            names = self._provider.list_names(prefix)
        except SecretsAdapterError as exc:
            self._emit_access("list", prefix, started, error=exc)
            raise
        listed = [name for name in names if self._denial("list", name) is None]
        self._emit_access("list", prefix, started)  # one record per listing, for its prefix
        return listed

    def describe_secret(self, name: str) -> SecretMetadata:
        """Versions, stages, tags and deletion state; never values."""
        full = self.qualify(name)
        self._guard("describe", full)
        started = time.perf_counter()
        try:
            metadata = self._versioned("describe").describe(full)
        except SecretsAdapterError as exc:
            self._emit_access("describe", full, started, error=exc)
            raise
        self._emit_access("describe", full, started)
        return metadata

    # --- writes --------------------------------------------------------------------------------

    def put_secret(
        self, name: str, value: ValueInput, *, expected_current: str | None = None
    ) -> VersionInfo:
        """Store a new current version (a dict is stored as a JSON object)."""
        full = self.qualify(name)
        self._guard("put", full)
        try:
            secret_value = _to_value(value)
        except (ValidationError, SecretFormatError) as exc:  # name the secret the value was for
            raise exc.reworded(f"Secret {full!r}: {exc.message}", secret_name=full) from None
        started = time.perf_counter()
        try:
            info = self._writable("put").put(full, secret_value, expected_current=expected_current)
        except SecretsAdapterError as exc:
            self._emit_access("put", full, started, error=exc)
            raise
        finally:
            self.invalidate(full)
        self._emit_access("put", full, started, version_id=info.version_id, value=secret_value)
        return info

    def delete_secret(
        self,
        name: str,
        *,
        recovery_window: timedelta = DEFAULT_RECOVERY_WINDOW,
        force: bool = False,
    ) -> None:
        """Schedule deletion (7-30 days, default 30) or, with ``force``, delete now."""
        full = self.qualify(name)
        self._guard("delete", full)
        started = time.perf_counter()
        try:
            self._writable("delete").delete(full, recovery_window=recovery_window, force=force)
        except SecretsAdapterError as exc:
            self._emit_access("delete", full, started, error=exc)
            raise
        finally:
            self.invalidate(full)
        self._emit_access("delete", full, started)

    def restore_secret(self, name: str) -> None:
        """Cancel a scheduled deletion."""
        full = self.qualify(name)
        self._guard("restore", full)
        started = time.perf_counter()
        try:
            self._writable("restore").restore(full)
        except SecretsAdapterError as exc:
            self._emit_access("restore", full, started, error=exc)
            raise
        finally:
            self.invalidate(full)
        self._emit_access("restore", full, started)

    def configure_rotation(
        self,
        name: str,
        *,
        rotator: str,
        every: timedelta | None = None,
        options: Mapping[str, str] | None = None,
    ) -> SecretMetadata:
        """Choose how ``name`` rotates (``random``, ``jwt``, ``postgres``) and how often.

        Stored in the secret's tags, so every process and the Lambda handler see it; options of an
        earlier configuration are removed. Needs the ``rotate`` permission and is audited.
        """
        from secrets_adapter.rotation.schedule import (
            OPTION_TAG_PREFIX,
            rotation_config_tags,
            rotation_options,
        )

        full = self.qualify(name)
        self._guard("configure_rotation", full)
        provider = self._versioned("configure rotation")
        chosen = dict(options or {})
        started = time.perf_counter()
        try:
            old = rotation_options(provider.describe(full).tags)
            tags = rotation_config_tags(rotator=rotator, every=every, options=chosen)
            for key in old.keys() - chosen.keys():
                tags[OPTION_TAG_PREFIX + key] = ""
            provider.set_tags(full, tags)
            metadata = provider.describe(full)
        except SecretsAdapterError as exc:
            self._emit_access("configure_rotation", full, started, error=exc)
            raise
        finally:
            self.invalidate(full)
        self._emit_access("configure_rotation", full, started)
        return metadata

    def rotate_secret(self, name: str) -> VersionInfo:
        """Rotate through the four steps (create, set, test, finish) with the rotator set in the
        secret's tags (``secrets-adapter rotation configure``), else ``random``."""
        full = self.qualify(name)
        self._guard("rotate", full)
        started = time.perf_counter()
        try:
            result = self.rotation_engine().rotate(full)
        except SecretsAdapterError as exc:
            self._emit_access("rotate", full, started, error=exc)
            raise
        finally:
            self.invalidate(full)
        self._emit_access("rotate", full, started, version_id=result.version_id)
        return VersionInfo(
            name=full, version_id=result.version_id, stages=frozenset({Stage.CURRENT})
        )

    def rotation_engine(self) -> RotationEngine:
        """The engine ``rotate_secret`` uses (shares this adapter's events and clock)."""
        if self._rotation is None:
            # imported on first rotation: readers never load the rotators (and their crypto)
            from secrets_adapter.rotation.engine import RotationEngine
            from secrets_adapter.rotation.rotators import builtin_rotators

            events = self._events
            if self._audit is not None:  # rotation steps reach the trail, not every read's bus
                step_recorder = self._audit.rotation_listener(
                    principal=self._principal, provider=self._provider.kind
                )
                events = EventBus([self._events.emit, step_recorder])
            self._rotation = RotationEngine(
                self._versioned("rotate"),
                builtin_rotators(),
                default_rotator="random",
                events=events,
                clock=self._clock,
            )
        return self._rotation

    # --- cache ---------------------------------------------------------------------------------

    def invalidate(self, name: str) -> None:
        """Forget what the adapter holds for ``name``; the next read goes to the backend.

        Every write, deletion, restore and rotation through the adapter calls it (read-your-writes).
        """
        if self._cache is not None:
            self._cache.invalidate(self.qualify(name))

    def close(self) -> None:
        """Forget cached values, release the provider's connections, write out queued audit
        records."""
        try:
            (self._cache if self._cache is not None else self._provider).close()  # cache: both
        finally:
            if self._audit is not None:
                self._audit.close()

    def __enter__(self) -> SecretsAdapter:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # --- internals -----------------------------------------------------------------------------

    def _writable(self, operation: str) -> WritableProvider:
        if not isinstance(self._provider, WritableProvider):
            raise ConfigurationError(
                f"The {self._provider.kind} backend is read-only: {operation} needs a store "
                "(local, aws or vault)."
            )
        return self._provider

    def _versioned(self, operation: str) -> VersionedProvider:
        if not isinstance(self._provider, VersionedProvider):
            raise ConfigurationError(
                f"The {self._provider.kind} backend keeps no versions: {operation} needs "
                "local, aws or vault."
            )
        return self._provider

    def _emit_access(
        self,
        action: str,
        name: str,
        started: float,
        *,
        error: SecretsAdapterError | None = None,
        version_id: str | None = None,
        stage: Stage | None = None,
        cache: CacheResult | None = None,
        value: SecretValue | None = None,
    ) -> None:
        """Record the access (the audit trail may refuse it: fail closed), then tell listeners.

        ``value`` reaches the audit trail only, which logs its keyed HMAC if so configured.
        """
        if not self._events.active:
            if self._audit is not None:  # only the trail listens: hand it the fields, no event
                self._audit.record_access(
                    action,
                    name,
                    principal=self._principal,
                    provider=self._provider.kind,
                    outcome=(
                        Outcome.SUCCESS
                        if error is None
                        else Outcome.DENIED
                        if isinstance(error, PolicyDeniedError)
                        else Outcome.ERROR
                    ),
                    version_id=version_id,
                    stage=stage,  # a Stage is a str: no slow .value
                    cache=cache,
                    error_code=type(error).__name__ if error is not None else None,
                    error_message=error.message if error is not None else None,
                    duration_s=time.perf_counter() - started,
                    value=value,
                )
            return
        event = AccessEvent(
            time=self._clock(),
            action=action,
            secret_name=name,
            provider=self._provider.kind,
            principal=self._principal,
            outcome=(
                Outcome.SUCCESS
                if error is None
                else Outcome.DENIED
                if isinstance(error, PolicyDeniedError)
                else Outcome.ERROR
            ),
            request_id=str(uuid.uuid4()),
            version_id=version_id,
            stage=stage.value if stage is not None else None,
            cache=cache,
            error_code=type(error).__name__ if error is not None else None,
            error_message=error.message if error is not None else None,
            duration_s=time.perf_counter() - started,
        )
        if self._audit is not None:
            self._audit.record(event, value=value)
        self._events.emit(event)

    def _guard(self, operation: str, name: str) -> None:
        """Refuse, and record the denial, before any cache or backend call."""
        denial = self._denial(operation, name)
        if denial is not None:
            self._emit_access(operation, name, time.perf_counter(), error=denial)
            raise denial

    def _denial(self, operation: str, name: str) -> PolicyDeniedError | None:
        """The policy's refusal of ``operation`` on ``name`` for this principal, if it refuses."""
        if self._authorizer is None:
            return None
        action = OPERATION_ACTIONS[operation]
        decision = self._authorizer.decide(action, name)
        if decision.allowed:
            return None
        return PolicyDeniedError(
            f"The access policy does not let {self._principal!r} {action} secret {name!r}: "
            f"{decision.reason}.",
            secret_name=name,
            provider=self._provider.kind,
            principal=self._principal,
            action=action,
        )


def _open_policy(policy: str | os.PathLike[str] | Policy | None) -> Policy | None:
    if policy is None or isinstance(policy, Policy):
        return policy
    return load_policy(policy)


def _cache_overrides(
    settings: CacheSettings,
    *,
    enabled: bool | None,
    ttl: Duration | None,
    max_stale: Duration | None,
    refresh_ahead: float | None,
    max_entries: int | None,
) -> CacheSettings:
    """The cache settings with the constructor's explicit arguments applied (seconds allowed)."""
    if enabled is not None:
        settings = replace(settings, enabled=enabled)
    if ttl is not None:
        settings = replace(settings, ttl=_as_timedelta(ttl))
    if max_stale is not None:
        settings = replace(settings, max_stale=_as_timedelta(max_stale))
    if refresh_ahead is not None:
        settings = replace(settings, refresh_ahead=refresh_ahead)
    if max_entries is not None:
        settings = replace(settings, max_entries=max_entries)
    return settings


def _as_timedelta(value: Duration) -> timedelta:
    return value if isinstance(value, timedelta) else timedelta(seconds=value)


def _apply_overrides(
    settings: Settings,
    *,
    path: str | os.PathLike[str] | None,
    master_key: str | SecretValue | None,
    env_file: str | os.PathLike[str] | None,
    region: str | None,
    endpoint_url: str | None,
    kms_key_id: str | None,
    url: str | None,
    token: str | SecretValue | None,
    mount: str | None,
    namespace: str | None,
) -> Settings:
    local: LocalSettings = settings.local
    if path is not None:
        local = replace(local, path=Path(path))
    if master_key is not None:
        local = replace(local, master_key=SecretValue(master_key))
    env: EnvSettings = replace(settings.env, prefix=settings.prefix)
    if env_file is not None:
        env = replace(env, env_file=Path(env_file))
    aws: AwsSettings = replace(settings.aws, prefix=settings.prefix)
    if region is not None:
        aws = replace(aws, region=region)
    if endpoint_url is not None:
        aws = replace(aws, endpoint_url=endpoint_url)
    if kms_key_id is not None:
        aws = replace(aws, kms_key_id=kms_key_id)
    vault: VaultSettings = replace(settings.vault, prefix=settings.prefix)
    if url is not None:
        vault = replace(vault, url=url)
    if token is not None:
        vault = replace(vault, token=SecretValue(token))
    if mount is not None:
        vault = replace(vault, mount=mount)
    if namespace is not None:
        vault = replace(vault, namespace=namespace)
    return replace(settings, local=local, env=env, aws=aws, vault=vault)
