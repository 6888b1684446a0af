"""A ``VaultSession`` from ``VaultSettings``: the login method and one hvac client per address."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import hvac

from secrets_adapter.clock import MonotonicClock, monotonic
from secrets_adapter.config import VaultSettings
from secrets_adapter.errors import ConfigurationError
from secrets_adapter.providers.vault_session import (
    AppRoleAuth,
    KubernetesAuth,
    TokenAuth,
    VaultAuth,
    VaultSession,
)

__all__ = ["auth_from_settings", "session_from_settings"]


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
