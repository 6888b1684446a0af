"""``AsyncSecretsAdapter``: the asynchronous face — the same methods as ``SecretsAdapter``, awaited.

Policy, audit, events and redaction are the same ``AccessPipeline`` steps as the synchronous face
(``before`` → awaited read → ``after`` / ``failed``), and the cache is the same ``SecretCache``
behind ``AsyncSecretCache``. Backend I/O never runs on the event loop: every backend — the
embedded store, hvac, and boto3 for AWS — is called in a dedicated, bounded thread pool
(``ThreadPoolExecutor``, 8 workers by default). A cache hit stays on the loop: a dict lookup, a
clock read and the pipeline's ``before`` / ``remember``, nothing awaited. With a durable audit
trail (each record waits for its write and fsync) the recording steps run in the pool too.
Writes, deletion and rotation (``async_management``) run the synchronous management code, with
its policy check and audit record, in the same pool.
"""

from __future__ import annotations

import functools
import os
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any, Literal, TypeVar, overload

from secrets_adapter.access import (
    face_settings,
    open_events,
    open_pipeline,
    raise_first,
    secret_as_dict,
    secret_field,
    settle,
    split,
)
from secrets_adapter.access.served_text import ServedText, keep_served_text, no_audit_log
from secrets_adapter.async_management import AsyncSecretsManagement, SyncManagement
from secrets_adapter.audit import AuditMode, AuditTrail, HitRecorder
from secrets_adapter.cache import Duration, SecretCache
from secrets_adapter.cache.async_cache import AsyncSecretCache
from secrets_adapter.cache.entry import CacheEntry, CacheKey
from secrets_adapter.clock import MonotonicClock, WallClock, monotonic, utcnow
from secrets_adapter.config import Settings, load_settings
from secrets_adapter.errors import (
    ConfigurationError,
    SecretNotFoundError,
    SecretsAdapterError,
    ValidationError,
)
from secrets_adapter.events import CacheResult, EventBus, Listener
from secrets_adapter.key_sets import app_text
from secrets_adapter.models import (
    Secret,
    SecretMetadata,
    SecretValue,
    Stage,
    stage_or_label,
)
from secrets_adapter.policy import Policy
from secrets_adapter.providers.base import LabelledProvider, Provider
from secrets_adapter.providers.factory import build_provider
from secrets_adapter.redaction import RedactingFilter, ServedValues

__all__ = ["DEFAULT_WORKERS", "AsyncSecretsAdapter"]

DEFAULT_WORKERS = 8
"""Backend calls in flight at once per adapter; more wait in the pool's queue, not on the loop."""

R = TypeVar("R")
_BYPASS = CacheResult.BYPASS
_CURRENT = Stage.CURRENT
BatchErrors = Literal["raise", "return"]


class AsyncSecretsAdapter(AsyncSecretsManagement):
    """``SecretsAdapter`` for asyncio: ``async with AsyncSecretsAdapter(...) as secrets:
    await secrets.get_secret_value("stripe-api-key")``. Takes the same arguments, plus
    ``max_workers`` (the thread pool's size)."""

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
        max_workers: int = DEFAULT_WORKERS,
    ) -> None:
        if max_workers < 1:
            raise ConfigurationError(f"max_workers must be at least 1, got {max_workers}.")
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
        self._pool = ThreadPoolExecutor(max_workers, thread_name_prefix="secrets-adapter-io")
        self._events = open_events(self._provider, listeners)
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
        self._served = self._access.served
        audit = self._access.audit
        self._durable_audit = audit is not None and audit.mode is AuditMode.DURABLE
        sync_cache: SecretCache | None = None
        self._cache: AsyncSecretCache | None = None
        options = self._settings.cache
        if options.enabled and options.ttl > timedelta(0):
            sync_cache = SecretCache(
                self._provider,
                ttl=options.ttl,
                max_stale=options.max_stale,
                refresh_ahead=options.refresh_ahead,
                max_entries=options.max_entries,
                stale_wait=options.stale_wait,
                min_refresh_interval=options.min_refresh_interval,
                ttl_overrides={self.qualify(n): ttl for n, ttl in (cache_ttls or {}).items()},
                clock=monotonic_clock,
                wall_clock=clock,
                events=self._events,
                background=self._pool.submit,  # refresh-ahead in the pool, never on the loop
            )
            self._cache = AsyncSecretCache(
                sync_cache, self._pool, stale_wait=options.stale_wait.total_seconds()
            )
        self._read_nowait = sync_cache.read_nowait if sync_cache is not None else None
        self._served_text: ServedText = {}  # get_secret_value's hot path (access.served_text)
        self._hot_entries: Mapping[CacheKey, CacheEntry] = (
            {} if sync_cache is None else sync_cache.hot_entries
        )
        self._monotonic = monotonic_clock
        # the audit trail is fixed at construction
        self._record_hit: HitRecorder = self._access.record_hit or no_audit_log
        self._manage = SyncManagement(self._access, self._provider, sync_cache, self._events, clock)

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str] | None = None, **overrides: Any
    ) -> AsyncSecretsAdapter:
        """Configure from ``ENVIRONMENT``, ``SECRETS_BACKEND``, ``SECRETS_MANAGER_PREFIX``, ..."""
        settings = load_settings(os.environ if environ is None else environ)
        return cls(settings=settings, **overrides)

    # --- introspection (no value, no version) -------------------------------------------------

    @property
    def backend(self) -> str:
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
        """A ``logging.Filter`` masking every value this adapter has served."""
        return RedactingFilter(self._served)

    def __repr__(self) -> str:
        if not hasattr(self, "_provider"):  # half-built: its __init__'s frame is being printed
            return "AsyncSecretsAdapter(<not opened>)"
        return f"AsyncSecretsAdapter(backend={self._provider.kind!r}, prefix={self.prefix!r})"

    # --- reads ---------------------------------------------------------------------------------

    async def get(
        self,
        name: str,
        *,
        version: str | None = None,
        stage: Stage | str = Stage.CURRENT,
        refresh: bool = False,
    ) -> Secret:
        """The typed read: a ``Secret`` whose value is masked until ``reveal()``. ``stage`` also
        takes the AWS names (``"AWSPENDING"``) and, on AWS, any custom staging label."""
        if stage.__class__ is not Stage:
            chosen = stage_or_label(stage)
            if not isinstance(chosen, Stage):
                return await self._get_labelled(name, chosen)
            stage = chosen
        access = self._access
        cache = self._cache
        if cache is not None and access.audit is None and not access.events.active:
            full = access.before("get", name)
            if version is None and stage is _CURRENT and not refresh:
                hit = cache.read_nowait(full)  # the hit path (``_quiet_hit``, inlined)
                if hit is not None:
                    access.remember(hit[0].value)
                    return hit[0]
            secret = (await cache.read(full, version=version, stage=stage, refresh=refresh))[0]
            access.remember(secret.value)
            return secret
        full = await self._before("get", name)
        started = time.perf_counter()
        try:
            if cache is not None:
                secret, result = await cache.read(
                    full, version=version, stage=stage, refresh=refresh
                )
            else:
                call = functools.partial(self._provider.get, full, version=version, stage=stage)
                secret, result = await self._in_pool(call), _BYPASS
        except SecretsAdapterError as exc:
            await self._recorded(
                functools.partial(access.failed, "get", full, started, exc, stage=stage)
            )
            raise
        await self._recorded(
            functools.partial(access.after, "get", full, started, secret, stage=stage, cache=result)
        )
        return secret

    async def _get_labelled(self, name: str, label: str) -> Secret:
        """A version by a backend's own label (an AWS custom staging label), uncached."""
        access = self._access
        full = await self._before("get", name)
        started = time.perf_counter()
        try:
            if not isinstance(self._provider, LabelledProvider):
                raise SecretNotFoundError(
                    f"Secret {full!r} has no stage {label!r}: the {self._provider.kind} backend "
                    "has only current, pending and previous.",
                    secret_name=full,
                    provider=self._provider.kind,
                )
            secret = await self._in_pool(
                functools.partial(self._provider.get_labelled, full, label)
            )
        except SecretsAdapterError as exc:
            await self._recorded(functools.partial(access.failed, "get", full, started, exc))
            raise
        await self._recorded(
            functools.partial(access.after, "get", full, started, secret, cache=_BYPASS)
        )
        return secret

    async def get_secret(
        self,
        name: str,
        *,
        version: str | None = None,
        stage: Stage | str = Stage.CURRENT,
        refresh: bool = False,
    ) -> dict[str, Any]:
        """A JSON object secret as a dict; a string as ``{"value": s}``; binary as bytes."""
        hit = None if version or stage is not _CURRENT or refresh else self._quiet_hit(name)
        secret = hit or await self.get(name, version=version, stage=stage, refresh=refresh)
        return secret_as_dict(secret)

    async def get_secret_value(
        self,
        name: str,
        key: str | None = None,
        *,
        version: str | None = None,
        stage: Stage | str = Stage.CURRENT,
        refresh: bool = False,
    ) -> str:
        """The value as text, or one key of a JSON object secret (a missing key raises)."""
        plain = key is None and version is None and stage is _CURRENT and not refresh
        if plain:  # the hot path, as on the sync face (see access.served_text)
            served = self._served_text.get(name)
            if served is not None and not self._events.active:
                entry = served.entry
                now = self._monotonic()
                if now < entry.refresh_at and self._hot_entries.get(served.full) is entry:
                    entry.last_used = now
                    if served.hit is not None:
                        self._record_hit(served.hit, entry.secret.value)
                    return served.text
        hit = None if version or stage is not _CURRENT or refresh else self._quiet_hit(name)
        secret = hit or await self.get(name, version=version, stage=stage, refresh=refresh)
        if key is not None:
            return secret_field(secret, key)
        text = app_text(secret, self._access.served)
        if plain and self._cache is not None and not self._durable_audit:
            # a durable record is written from the pool: such reads do not take the hot path
            access = self._access
            full = access.qualify(name)
            record = access.hit_fields(full, secret)
            keep_served_text(self._served_text, self._hot_entries, name, full, secret, text, record)
        return text

    @overload
    async def get_many(
        self, names: Sequence[str], *, errors: Literal["raise"] = "raise"
    ) -> dict[str, Secret]: ...
    @overload
    async def get_many(
        self, names: Sequence[str], *, errors: Literal["return"]
    ) -> dict[str, Secret | SecretsAdapterError]: ...
    async def get_many(
        self, names: Sequence[str], *, errors: BatchErrors = "raise"
    ) -> dict[str, Secret] | dict[str, Secret | SecretsAdapterError]:
        """Many secrets in one backend call where the backend allows; one record each. Raises
        naming every name that failed, or with ``errors="return"`` gives each its own error."""
        if errors not in ("raise", "return"):
            raise ValidationError(f"errors={errors!r}: use 'raise' (the default) or 'return'.")
        plan = split(self._access, names)
        started = time.perf_counter()
        served: Mapping[str, CacheResult] = {}
        result: Mapping[str, Secret | SecretsAdapterError] = {}
        try:
            if plan.allowed and self._cache is not None:
                result, served = await self._cache.read_many(plan.allowed)
            elif plan.allowed:
                result = await self._in_pool(
                    functools.partial(self._provider.get_many, plan.allowed)
                )
        except SecretsAdapterError as exc:  # the whole batch failed: each name has that error
            result = dict.fromkeys(plan.allowed, exc)
        outcome = await self._recorded(
            functools.partial(settle, self._access, plan, names, started, result, served)
        )
        return outcome if errors == "return" else raise_first(outcome)

    async def preload(self, names: Sequence[str]) -> None:
        """Warm the cache at start-up (one batch read); raises like ``get_many``."""
        await self.get_many(names)

    async def list_secrets(self, prefix: str | None = None) -> list[str]:
        """Names of live secrets under ``prefix`` (default: the adapter's prefix folder) that
        the policy lets this principal list."""
        if prefix is None:
            prefix = f"{self.prefix}/" if self.prefix else ""
        access = self._access
        await self._recorded(functools.partial(access.before_listing, prefix))
        started = time.perf_counter()
        try:
            names = await self._in_pool(functools.partial(self._provider.list_names, prefix))
        except SecretsAdapterError as exc:
            await self._recorded(functools.partial(access.failed, "list", prefix, started, exc))
            raise
        listed = [name for name in names if access.denial("list", name) is None]
        await self._recorded(functools.partial(access.record, "list", prefix, started))
        return listed

    async def describe_secret(self, name: str) -> SecretMetadata:
        """Versions, stages, tags and deletion state; never values."""
        return await self._in_pool(functools.partial(self._manage.describe_secret, name))

    # --- lifecycle -----------------------------------------------------------------------------

    async def aclose(self) -> None:
        """Forget cached values, release the provider's connections, write out queued audit
        records, stop the thread pool."""
        audit = self._access.audit
        try:
            if self._cache is not None:
                self._cache.clear()
            await self._in_pool(self._provider.close)
        finally:
            try:
                if audit is not None:  # flushes the queue: a write, so in the pool
                    await self._in_pool(audit.close)
            finally:
                self._pool.shutdown(wait=False, cancel_futures=True)

    async def __aenter__(self) -> AsyncSecretsAdapter:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    # --- internals -----------------------------------------------------------------------------

    async def _before(self, operation: str, name: str) -> str:
        """The pipeline's ``before``; a refusal's record is written in the pool when the audit
        trail is durable (it waits for the write), so the loop never waits on the log."""
        access = self._access
        if not self._durable_audit:
            return access.before(operation, name)
        full = access.qualify(name)
        denial = access.denial(operation, full)
        if denial is not None:
            started = time.perf_counter()
            await self._in_pool(
                functools.partial(access.record, operation, full, started, error=denial)
            )
            raise denial
        return full

    async def _recorded(self, step: Callable[[], R]) -> R:
        """A pipeline step that writes audit records: in the pool when the trail is durable
        (each record waits for its write and fsync), here when it only queues them."""
        if self._durable_audit:
            return await self._in_pool(step)
        return step()

    def _quiet_hit(self, name: str) -> Secret | None:
        """The hit path, on the loop with nothing awaited: the current version when it is cached
        and nobody needs a record of the read (no audit log, no listeners). The policy is asked
        first, as on every read. None: the caller takes the full path (``get``)."""
        read_nowait = self._read_nowait
        access = self._access
        if read_nowait is None or access.audit is not None or access.events.active:
            return None
        hit = read_nowait(access.before("get", name))
        if hit is None:
            return None
        secret = hit[0]
        access.remember(secret.value)
        return secret
