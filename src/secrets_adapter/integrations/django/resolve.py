"""``resolve_settings(globals())``: every ``secret://NAME[#key]`` in a Django settings module
replaced by its value at start-up, in one batch read through the adapter's cache.

Why at start-up and all at once: Django reads settings such as ``DATABASES`` and ``SECRET_KEY``
as plain strings long before any request, and an operator fixing a deployment wants the whole
list of what is missing in one failed start, not one name per restart.
"""

from __future__ import annotations

from collections.abc import Iterator, MutableMapping, Sequence
from typing import Any

from secrets_adapter.access import secret_field
from secrets_adapter.adapter import SecretsAdapter
from secrets_adapter.errors import ConfigurationError, SecretsAdapterError
from secrets_adapter.models import Secret
from secrets_adapter.references import SecretReference, parse_reference

try:
    from django.core.exceptions import ImproperlyConfigured
except ImportError:
    raise ConfigurationError(
        "The Django integration needs Django: pip install 'secrets-adapter[django]'."
    ) from None

__all__ = [
    "ADAPTER_SETTING",
    "REFERENCES_SETTING",
    "REQUIRED_SETTING",
    "get_adapter",
    "resolve_settings",
]

ADAPTER_SETTING = "SECRETS_ADAPTER"
"""The ``SecretsAdapter`` the settings were resolved with, kept in the settings themselves (where
Django code looks for configuration) rather than in a module-level global."""

REFERENCES_SETTING = "SECRETS_ADAPTER_REFERENCES"
"""Set by ``resolve_settings``: setting path → reference (names, never values), for the check."""

REQUIRED_SETTING = "SECRETS_ADAPTER_REQUIRED"
"""Optional: more secret names the code reads at run time, for the check to look at too."""


def get_adapter() -> SecretsAdapter:
    """``settings.SECRETS_ADAPTER``: the adapter the settings were resolved with, for the check,
    the command and the app's own run-time reads (``SecretsAdapter.from_env()`` if none was set)."""
    from django.conf import settings

    adapter = getattr(settings, ADAPTER_SETTING, None)
    if adapter is None:
        adapter = SecretsAdapter.from_env()
        setattr(settings, ADAPTER_SETTING, adapter)
    if not isinstance(adapter, SecretsAdapter):
        raise ConfigurationError(
            f"settings.{ADAPTER_SETTING} is a {type(adapter).__name__}, not a SecretsAdapter."
        )
    return adapter


def resolve_settings(
    namespace: MutableMapping[str, Any], *, adapter: SecretsAdapter | None = None
) -> None:
    """Replace every reference in the UPPER_CASE settings of ``namespace`` (nested dicts, lists
    and tuples too) by its text; raise ``ImproperlyConfigured`` naming every one that failed."""
    if adapter is None:
        existing = namespace.get(ADAPTER_SETTING)
        adapter = existing if isinstance(existing, SecretsAdapter) else SecretsAdapter.from_env()
    namespace[ADAPTER_SETTING] = adapter
    found = {
        path: reference
        for key in list(namespace)
        if key.isupper()
        for path, reference in _references(namespace[key], key)
    }
    namespace[REFERENCES_SETTING] = {path: str(ref) for path, ref in found.items()}
    if not found:
        return
    outcome = adapter.get_many(
        list(dict.fromkeys(ref.name for ref in found.values())), errors="return"
    )
    values: dict[str, str] = {}
    failures: list[str] = []
    for path, ref in found.items():
        item = outcome[ref.name]
        try:
            values[path] = _text(item, ref)
        except SecretsAdapterError as exc:
            failures.append(f"  {path} = {ref}: {type(exc).__name__}: {exc.message}")
    if failures:
        raise ImproperlyConfigured(
            f"{len(failures)} secret reference(s) in the settings could not be resolved "
            "(store them, or fix the names):\n" + "\n".join(failures)
        )
    for key in list(namespace):
        if key.isupper() and key not in (REFERENCES_SETTING, ADAPTER_SETTING):
            namespace[key] = _replaced(namespace[key], key, values)


def _text(item: Secret | SecretsAdapterError, ref: SecretReference) -> str:
    if not isinstance(item, Secret):
        raise item
    return item.value.reveal_text() if ref.key is None else secret_field(item, ref.key)


def _references(value: Any, path: str) -> Iterator[tuple[str, SecretReference]]:
    if isinstance(value, str):
        reference = parse_reference(value)
        if reference is not None:
            yield path, reference
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _references(item, f"{path}.{key}")
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            yield from _references(item, f"{path}[{index}]")


def _replaced(value: Any, path: str, values: dict[str, str]) -> Any:
    if isinstance(value, str):
        return values.get(path, value)
    if isinstance(value, dict):
        return {key: _replaced(item, f"{path}.{key}", values) for key, item in value.items()}
    if isinstance(value, list | tuple):
        items: Sequence[Any] = [
            _replaced(item, f"{path}[{index}]", values) for index, item in enumerate(value)
        ]
        return type(value)(items)
    return value
