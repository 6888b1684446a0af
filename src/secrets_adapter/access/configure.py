"""The settings a face is built with: the constructor's keyword overrides applied to ``Settings``
(seconds allowed for durations), and a policy file opened. Shared by every face."""

from __future__ import annotations

import os
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

from secrets_adapter.cache import Duration
from secrets_adapter.config import (
    AwsSettings,
    CacheSettings,
    EnvSettings,
    LocalSettings,
    Settings,
    VaultSettings,
)
from secrets_adapter.models import SecretValue
from secrets_adapter.policy import Policy, load_policy

__all__ = ["apply_overrides", "cache_overrides", "open_policy"]


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
