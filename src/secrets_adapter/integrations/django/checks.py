"""The system check (``manage.py check``, and before ``runserver`` / ``migrate``): every secret
the settings referenced, and every name in ``SECRETS_ADAPTER_REQUIRED``, read again from the
backend — so a secret deleted, denied or unreachable since start-up is reported, each on its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error

from secrets_adapter.errors import SecretNotFoundError, SecretsAdapterError
from secrets_adapter.integrations.django.resolve import (
    REFERENCES_SETTING,
    REQUIRED_SETTING,
    get_adapter,
)
from secrets_adapter.references import parse_mapping_reference

__all__ = ["MISSING", "UNREADABLE", "check_secrets"]

MISSING = "secrets_adapter.E001"
UNREADABLE = "secrets_adapter.E002"


def check_secrets(app_configs: Sequence[Any] | None = None, **kwargs: Any) -> list[CheckMessage]:
    """One ``Error`` per secret that cannot be read now (the name and why, never a value)."""
    references: dict[str, str] = dict(getattr(settings, REFERENCES_SETTING, {}))
    for name in getattr(settings, REQUIRED_SETTING, ()):
        references.setdefault(f"{REQUIRED_SETTING}[{name!r}]", name)
    names = {parse_mapping_reference(ref).name: where for where, ref in references.items()}
    if not names:
        return []
    adapter = get_adapter()
    for name in names:
        adapter.invalidate(name)  # the check reports the backend now, not the cache
    try:
        outcome = adapter.get_many(list(names), errors="return")
    except SecretsAdapterError as exc:  # a bad name, or the whole batch refused
        return [Error(f"Secrets cannot be checked: {exc.message}", id=UNREADABLE)]
    errors: list[CheckMessage] = []
    for name, item in outcome.items():
        if not isinstance(item, SecretsAdapterError):
            continue
        missing = isinstance(item, SecretNotFoundError)
        errors.append(
            Error(
                f"Secret {adapter.qualify(name)!r} ({names[name]}) is "
                + ("missing" if missing else f"unreadable: {type(item).__name__}: {item.message}"),
                hint=(
                    f"Store it: secrets-adapter put {adapter.qualify(name)}"
                    if missing
                    else "Check the backend's address, credentials and the access policy."
                ),
                id=MISSING if missing else UNREADABLE,
            )
        )
    return errors
