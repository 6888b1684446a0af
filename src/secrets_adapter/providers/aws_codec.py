"""What goes into and comes out of a Secrets Manager request: secret ids (names and ARNs), values,
version tokens and recovery windows. Pure functions, no client."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from secrets_adapter.errors import SecretsAdapterError, ValidationError
from secrets_adapter.models import SecretValue
from secrets_adapter.providers.base import check_recovery_window
from secrets_adapter.validation import validate_secret_id

__all__ = [
    "check_token",
    "secret_id",
    "value_fields",
    "value_of",
    "warn_if_suffix_like",
    "whole_days",
]

_TOKEN_LENGTH = (32, 64)
_SUFFIX_LIKE = re.compile(r"-[A-Za-z0-9]{6}")
_log = logging.getLogger(__name__)


def secret_id(name: str) -> str:
    """A name, or a full or partial Secrets Manager ARN: what ``SecretId`` accepts."""
    return validate_secret_id(name)


def warn_if_suffix_like(name: str) -> None:
    """Warn when a new secret's name ends like the random suffix of a full ARN (``-AbC123``).

    AWS documents that such a name makes partial-ARN lookups ambiguous: ``…:secret:db-AbC123``
    can be read as the secret ``db`` with its suffix. Warned, not refused: AWS accepts the name.
    """
    if _SUFFIX_LIKE.search(name[-7:]) is not None and not name.startswith("arn:"):
        _log.warning(
            "Secret name %r ends with a hyphen and six letters or digits, like the random suffix "
            "AWS adds to an ARN: a partial ARN of this secret can resolve to the wrong secret. "
            "Prefer a name that does not end that way.",
            name,
        )


def value_fields(value: SecretValue) -> dict[str, Any]:
    """``SecretString`` for a text value, ``SecretBinary`` for a binary one."""
    if value.is_binary:
        return {"SecretBinary": value.reveal_bytes()}
    return {"SecretString": value.reveal_text()}


def value_of(entry: Mapping[str, Any]) -> SecretValue:
    """The value in a ``GetSecretValue``/``BatchGetSecretValue`` entry."""
    try:
        if entry.get("SecretBinary") is not None:
            return SecretValue.from_stored(bytes(entry["SecretBinary"]), binary=True)
        return SecretValue(str(entry.get("SecretString", "")))
    except SecretsAdapterError:
        del entry  # frames: the response holds the value; an error reporter prints locals
        raise


def check_token(token: str, name: str) -> str:
    """A ``ClientRequestToken`` AWS accepts (32-64 characters), else ``ValidationError``."""
    low, high = _TOKEN_LENGTH
    if not isinstance(token, str) or not low <= len(token) <= high:
        raise ValidationError(
            f"Invalid version token for secret {name!r}: AWS needs {low}-{high} characters "
            "(a UUID4 string works).",
            secret_name=name,
        )
    return token


def whole_days(window: timedelta, name: str) -> int:
    """A recovery window in the whole days ``RecoveryWindowInDays`` takes."""
    check_recovery_window(window, name=name)
    if window % timedelta(days=1):
        raise ValidationError(
            f"Invalid recovery window for secret {name!r}: AWS counts it in whole days "
            f"(got {window}).",
            secret_name=name,
        )
    return window.days
