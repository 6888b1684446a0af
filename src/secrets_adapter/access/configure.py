"""What every face is built from: the constructor's keyword overrides applied to ``Settings``
(seconds allowed for durations), and the access pipeline with its policy and audit trail."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

from secrets_adapter.access.pipeline import AccessPipeline
from secrets_adapter.audit import AuditTrail, open_trail
from secrets_adapter.cache import Duration
from secrets_adapter.clock import WallClock
from secrets_adapter.config import (
    AwsSettings,
    CacheSettings,
    EnvSettings,
    LocalSettings,
    Settings,
    VaultSettings,
    backend_for_arguments,
)
from secrets_adapter.env_names import normalize_prefix
from secrets_adapter.errors import ConfigurationError
from secrets_adapter.events import EventBus, EventSource, Listener
from secrets_adapter.models import SecretValue
from secrets_adapter.policy import Authorizer, Policy, load_policy

__all__ = [
    "apply_overrides",
    "cache_overrides",
    "chosen_backend",
    "face_settings",
    "open_events",
    "open_pipeline",
    "open_policy",
]


def face_settings(
    settings: Settings | None,
    *,
    backend: str | None,
    prefix: str | None,
    connection: dict[str, Any],
    cache: dict[str, Any],
    provider_given: bool = False,
) -> Settings:
    """``settings`` (default: all defaults) with a face's constructor arguments applied:
    ``connection`` as ``apply_overrides`` takes them, ``cache`` as ``cache_overrides``.
    With no ``backend``, the connection arguments choose it (``region=`` → aws, ``url=`` →
    vault); one the backend does not use is a ``ConfigurationError``, never ignored."""
    backend = chosen_backend(backend, settings, provider_given, connection)
    base = settings or Settings()
    if backend is not None:
        base = replace(base, backend=backend)
    if prefix is not None:
        base = replace(base, prefix=normalize_prefix(prefix))
    configured = apply_overrides(base, **connection)
    return replace(configured, cache=cache_overrides(configured.cache, **cache))


def chosen_backend(
    backend: str | None,
    settings: Settings | None,
    provider_given: bool,
    given: Mapping[str, object],
) -> str | None:
    """``backend``, else the one the backend arguments name (``region=`` → aws); an argument
    the backend (or a ready ``provider``) does not use is a ``ConfigurationError``."""
    if provider_given:
        unused = ", ".join(f"{key}=" for key, value in sorted(given.items()) if value is not None)
        if unused:
            raise ConfigurationError(
                f"provider= is a ready provider, so {unused} would be ignored: configure the "
                "provider itself instead."
            )
        return backend
    explicit = backend if backend is not None else (settings.backend if settings else None)
    chosen = backend_for_arguments(explicit, given)
    return backend if backend is not None or settings is not None else chosen


def open_events(provider: object, listeners: Iterable[Listener]) -> EventBus:
    """A face's event bus, which also hears what the provider reports itself (AWS throttling,
    for its metric)."""
    events = EventBus(listeners)
    if isinstance(provider, EventSource):
        provider.subscribe(events.emit)
    return events


def open_pipeline(
    settings: Settings,
    *,
    provider_kind: str,
    principal: str | None,
    audit_log: str | os.PathLike[str] | AuditTrail | None,
    audit_mode: str | None,
    policy: str | os.PathLike[str] | Policy | None,
    events: EventBus,
    clock: WallClock,
) -> AccessPipeline:
    """The pipeline for these settings; an explicit argument wins over its setting. (The
    rotation engine tells the trail its steps itself: reads do not pay for a listener.)"""
    access = settings.audit
    who = principal or access.principal
    rules = open_policy(policy if policy is not None else access.policy)
    log = audit_log if audit_log is not None else access.log
    audit: AuditTrail | None = (
        open_trail(
            log,
            mode=audit_mode or access.mode,
            fail_open=access.fail_open,
            production=settings.is_production,
        )
        if log is not None
        else None
    )
    return AccessPipeline(
        prefix=settings.prefix,
        principal=who,
        provider_kind=provider_kind,
        authorizer=Authorizer(rules, who) if rules is not None else None,
        audit=audit,
        events=events,
        clock=clock,
    )


def open_policy(policy: str | os.PathLike[str] | Policy | None) -> Policy | None:
    if policy is None or isinstance(policy, Policy):
        return policy
    return load_policy(policy)


def cache_overrides(
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


def apply_overrides(
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
