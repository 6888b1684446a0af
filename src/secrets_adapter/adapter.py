"""``SecretsAdapter``: the synchronous face — names in, values out, through the access pipeline.

Compatible with the design the project comes from (``get_secret`` returns a dict,
``get_secret_value`` a string), but typed, cached, and honest about errors: a missing key is a
``SecretFormatError``, never an empty string. Policy, audit, events and redaction live in
``access.AccessPipeline`` (shared with every other face); this class only does the I/O between
the pipeline's ``before`` and ``after``. Writes, deletion and rotation are inherited from
``management.SecretsManagement``. Nothing public hands out the provider, the cache or the
rotation engine, which would skip the pipeline.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Mapping, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Literal, overload

from secrets_adapter.access import (
    SecretSnapshot,
    ValueInput,
    face_settings,
    open_events,
    open_pipeline,
    raise_first,
    read_snapshot,
    secret_as_dict,
    secret_field,
    settle,
    split,
)
from secrets_adapter.access.served_text import ServedText, keep_served_text, no_audit_log
from secrets_adapter.audit import AuditTrail, HitRecorder
from secrets_adapter.cache import Duration, SecretCache
from secrets_adapter.cache.entry import CacheEntry, CacheKey
from secrets_adapter.clock import MonotonicClock, WallClock, monotonic, utcnow
from secrets_adapter.config import Settings, load_settings
from secrets_adapter.errors import SecretNotFoundError, SecretsAdapterError, ValidationError
from secrets_adapter.events import CacheResult, EventBus, Listener
from secrets_adapter.key_sets import KeySetMethods
from secrets_adapter.management import SecretsManagement
from secrets_adapter.models import Secret, SecretMetadata, SecretValue, Stage, stage_or_label
from secrets_adapter.policy import Policy
from secrets_adapter.providers.base import LabelledProvider, Provider
from secrets_adapter.providers.factory import build_provider
from secrets_adapter.redaction import RedactingFilter, ServedValues
from secrets_adapter.references import resolve_references

if TYPE_CHECKING:
    from secrets_adapter.rotation.engine import RotationEngine

__all__ = ["SecretsAdapter", "ValueInput", "secret_as_dict", "secret_field"]

_BYPASS = CacheResult.BYPASS
_CURRENT = Stage.CURRENT
BatchErrors = Literal["raise", "return"]


class SecretsAdapter(SecretsManagement, KeySetMethods):
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
        self._settings = face_settings(
            settings,
            backend=backend,
            prefix=prefix,
            provider_given=provider is not None,
            connection=dict(
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
            ),
            cache=dict(
                enabled=cache,
                ttl=cache_ttl,
                max_stale=max_stale,
                refresh_ahead=refresh_ahead,
                max_entries=max_entries,
            ),
        )
        del master_key, token  # frames: kept in the settings as SecretValues; locals get printed
        self._provider: Provider = (
            provider if provider is not None else build_provider(self._settings)
        )
        self._events = open_events(self._provider, listeners)
        self._clock = clock
        self._access = open_pipeline(
            self._settings,
            provider_kind=self._provider.kind,
            principal=principal,
            audit_log=audit_log,
            audit_mode=audit_mode,
            policy=policy,
            events=self._events,
            clock=clock,
        )
        self._principal = self._access.principal
        self._served = self._access.served
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
        # get_secret_value's hot path: name -> the read it last served (access.served_text)
        self._served_text: ServedText = {}
        self._hot_entries: Mapping[CacheKey, CacheEntry] = (
            {} if self._cache is None else self._cache.hot_entries
        )
        self._monotonic = monotonic_clock
        # the audit trail is fixed at construction
        self._record_hit: HitRecorder = self._access.record_hit or no_audit_log

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> SecretsAdapter:
        """Configure from ``ENVIRONMENT``, ``SECRETS_BACKEND``, ``SECRETS_MANAGER_PREFIX``, ..."""
        settings = load_settings(os.environ if environ is None else environ)
        return cls(settings=settings, **overrides)

    # --- introspection (no value, no version) -------------------------------------------------

    @property
    def backend(self) -> str:
        """The backend's kind: ``local``, ``env``, ``aws``, ``vault`` (or a wrapped provider's)."""
        return self._provider.kind

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

    def __repr__(self) -> str:
        if not hasattr(self, "_provider"):  # half-built: its __init__'s frame is being printed
            return "SecretsAdapter(<not opened>)"
        return f"SecretsAdapter(backend={self._provider.kind!r}, prefix={self.prefix!r})"

    # --- reads ---------------------------------------------------------------------------------

    def get(
        self,
        name: str,
        *,
        version: str | None = None,
        stage: Stage | str = Stage.CURRENT,
        refresh: bool = False,
    ) -> Secret:
        """The typed read: a ``Secret`` whose value is masked until ``reveal()``.

        Served by the cache unless ``cache=False``; ``refresh=True`` asks the backend again (for a
        caller that just saw the value rejected), at most once per second per secret.
        """
        if stage.__class__ is not Stage:
            chosen = stage_or_label(stage)
            if not isinstance(chosen, Stage):
                return self._get_labelled(name, chosen)
            stage = chosen
        access = self._access
        full = access.before("get", name)
        cache = self._cache
        if cache is not None and access.audit is None and not access.events.active:
            secret = cache.get(full, version=version, stage=stage, refresh=refresh)
            access.remember(secret.value)  # nobody to tell: no timing, no record
            return secret
        started = time.perf_counter()
        try:
            if cache is not None:
                secret, result = cache.read(full, version=version, stage=stage, refresh=refresh)
            else:
                secret, result = self._provider.get(full, version=version, stage=stage), _BYPASS
        except SecretsAdapterError as exc:
            access.failed("get", full, started, exc, stage=stage)
            raise
        access.after("get", full, started, secret, stage=stage, cache=result)
        return secret

    def _get_labelled(self, name: str, label: str) -> Secret:
        """A version by a backend's own label (an AWS custom staging label), uncached: labels
        move under the reader, and such reads are rare."""
        access = self._access
        full = access.before("get", name)
        started = time.perf_counter()
        try:
            if not isinstance(self._provider, LabelledProvider):
                raise SecretNotFoundError(
                    f"Secret {full!r} has no stage {label!r}: the {self._provider.kind} backend "
                    "has only current, pending and previous.",
                    secret_name=full,
                    provider=self._provider.kind,
                )
            secret = self._provider.get_labelled(full, label)
        except SecretsAdapterError as exc:
            access.failed("get", full, started, exc)
            raise
        access.after("get", full, started, secret, cache=_BYPASS)
        return secret

    def get_secret(
        self,
        name: str,
        *,
        version: str | None = None,
        stage: Stage | str = Stage.CURRENT,
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
        stage: Stage | str = Stage.CURRENT,
        refresh: bool = False,
    ) -> str:
        """The value as text, or one key of a JSON object secret.

        A missing key is a ``SecretFormatError`` naming the secret and the key, never ``""``.
        """
        if key is None and version is None and stage is _CURRENT and not refresh:
            # The hot path: the text this face last served for ``name``, while the cache entry
            # it came from is still the fresh one. The policy allowed this read when the text was
            # first served (a policy is immutable) and the value is remembered for redaction;
            # nobody may be listening for events, and an audit log gets the prebuilt record
            # (access.served_text). Its refusal propagates: the read is refused.
            served = self._served_text.get(name)
            if served is not None and not self._events.active:
                entry = served.entry
                now = self._monotonic()
                if now < entry.refresh_at and self._hot_entries.get(served.full) is entry:
                    entry.last_used = now
                    if served.hit is not None:
                        self._record_hit(served.hit, entry.secret.value)
                    return served.text
        secret = self.get(name, version=version, stage=stage, refresh=refresh)
        text = self._app_text(secret) if key is None else secret_field(secret, key)
        if key is None and version is None and stage is _CURRENT and self._cache is not None:
            access = self._access
            full = access.qualify(name)
            record = access.hit_fields(full, secret)
            keep_served_text(self._served_text, self._hot_entries, name, full, secret, text, record)
        return text

    @overload
    def get_many(
        self, names: Sequence[str], *, errors: Literal["raise"] = "raise"
    ) -> dict[str, Secret]: ...
    @overload
    def get_many(
        self, names: Sequence[str], *, errors: Literal["return"]
    ) -> dict[str, Secret | SecretsAdapterError]: ...
    def get_many(
        self, names: Sequence[str], *, errors: BatchErrors = "raise"
    ) -> dict[str, Secret] | dict[str, Secret | SecretsAdapterError]:
        """Many secrets in one call where the backend allows, keyed as asked; one record each.

        By default raises if any one failed, naming all that did (the others were still fetched,
        and are cached). ``errors="return"`` gives each name its secret or its own error instead
        (``PolicyDeniedError`` for a denied one, ``SecretNotFoundError``, ...).
        """
        if errors not in ("raise", "return"):
            raise ValidationError(f"errors={errors!r}: use 'raise' (the default) or 'return'.")
        plan = split(self._access, names)
        started = time.perf_counter()
        served: Mapping[str, CacheResult] = {}
        result: Mapping[str, Secret | SecretsAdapterError] = {}
        try:
            if plan.allowed and self._cache is not None:
                result, served = self._cache.read_many(plan.allowed)
            elif plan.allowed:
                result = self._provider.get_many(plan.allowed)
        except SecretsAdapterError as exc:  # the whole batch failed: each name has that error
            result = dict.fromkeys(plan.allowed, exc)
        outcome = settle(self._access, plan, names, started, result, served)
        return outcome if errors == "return" else raise_first(outcome)

    def preload(self, names: Sequence[str]) -> None:
        """Warm the cache at start-up: one batch read (one backend call where the backend has a
        batch API). Raises like ``get_many`` if any failed; the others stay cached."""
        self.get_many(names)

    def list_secrets(self, prefix: str | None = None) -> list[str]:
        """Names of live secrets starting with ``prefix`` (default: the adapter's prefix folder)
        that the policy lets this principal list. A listing no statement allows is refused
        (``PolicyDeniedError``), as ``ListSecrets`` is."""
        if prefix is None:
            prefix = f"{self.prefix}/" if self.prefix else ""
        access = self._access
        access.before_listing(prefix)
        started = time.perf_counter()
        try:
            names = self._provider.list_names(prefix)
        except SecretsAdapterError as exc:
            access.failed("list", prefix, started, exc)
            raise
        listed = [name for name in names if access.denial("list", name) is None]
        access.record("list", prefix, started)  # one record per listing, for its prefix
        return listed

    def describe_secret(self, name: str) -> SecretMetadata:
        """Versions, stages, tags and deletion state; never values."""
        return self._guarded(
            "describe", name, lambda full: self._versioned("describe").describe(full)
        )

    def snapshot_secret(self, name: str) -> SecretSnapshot:
        """Every version of ``name`` with its value and stage labels (the current value alone
        where the backend keeps no versions): what ``copy`` reads, for ``load_snapshot`` on
        another adapter. Needs ``read``; one ``GetSecretValue`` record."""
        access = self._access
        full = access.before("get", name)
        started = time.perf_counter()
        try:
            snapshot = read_snapshot(self._provider, full)
        except SecretsAdapterError as exc:
            access.failed("get", full, started, exc)
            raise
        for _, value in snapshot.versions:
            access.remember(value)
        access.record(
            "get",
            full,
            started,
            version_id=snapshot.current_version,
            cache=_BYPASS,
            value=snapshot.current_value,
        )
        return snapshot

    # --- cache ---------------------------------------------------------------------------------

    def close(self) -> None:
        """Forget cached values, release the provider's connections, write out queued audit
        records."""
        try:
            (self._cache if self._cache is not None else self._provider).close()  # cache: both
        finally:
            if self._access.audit is not None:
                self._access.audit.close()

    def __enter__(self) -> SecretsAdapter:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
