"""``build_provider(settings)``: the one place that picks a backend; SDK extras import lazily."""

from __future__ import annotations

import importlib
from types import ModuleType

from secrets_adapter.config import Settings
from secrets_adapter.errors import ConfigurationError
from secrets_adapter.providers.base import Provider

__all__ = ["build_provider", "require_extra"]

# backend -> (module, class, the SDK it needs or None, the extra that installs it)
_BACKENDS: dict[str, tuple[str, str, str | None, str | None]] = {
    "local": ("secrets_adapter.providers.local", "LocalProvider", None, None),
    "env": ("secrets_adapter.providers.env", "EnvProvider", None, None),
    "aws": ("secrets_adapter.providers.aws", "AwsSecretsManagerProvider", "boto3", "aws"),
    "vault": ("secrets_adapter.providers.vault", "VaultProvider", "hvac", "vault"),
}


def require_extra(module: str, extra: str) -> ModuleType:
    """Import an optional dependency or say which ``pip install`` brings it."""
    try:
        return importlib.import_module(module)
    except ImportError:
        raise ConfigurationError(
            f"The {module!r} package is needed for this feature: "
            f"pip install 'secrets-adapter[{extra}]'"
        ) from None


def build_provider(settings: Settings) -> Provider:
    """The provider for ``settings.backend``, built by its ``from_settings`` classmethod."""
    entry = _BACKENDS.get(settings.backend)
    if entry is None:
        raise ConfigurationError(
            f"Unknown backend {settings.backend!r}: choose one of {', '.join(_BACKENDS)}."
        )
    module_name, class_name, sdk, extra = entry
    if sdk is not None and extra is not None:
        require_extra(sdk, extra)
    try:
        provider_class = getattr(importlib.import_module(module_name), class_name)
    except (ImportError, AttributeError):
        raise ConfigurationError(
            f"The {settings.backend} backend is not available in this installation."
        ) from None
    backend_settings = getattr(settings, settings.backend)
    provider = provider_class.from_settings(backend_settings)
    if not isinstance(provider, Provider):
        raise ConfigurationError(f"{class_name} does not satisfy the Provider protocol.")
    return provider
