"""Which ``.env`` keys are secrets and which are plain configuration: name rules, user first.

Order: the user's ``--config`` then ``--secret`` patterns (shell-style, matched on the key);
then the adapter's own settings (``SECRETS_*``, ``ENVIRONMENT``) which never go into a store; then
the default secret patterns; then a URL carrying a password; else configuration.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from fnmatch import fnmatchcase

__all__ = [
    "ADAPTER_SETTINGS",
    "DEFAULT_SECRET_PATTERNS",
    "Classification",
    "KeyClass",
    "classify_key",
]

DEFAULT_SECRET_PATTERNS = (
    "*SECRET*",
    "*PASSWORD*",
    "*PASSWD*",
    "*_PASS",
    "*TOKEN*",
    "KEY",
    "*_KEY",
    "*_KEY_*",
    "*APIKEY*",
    "*PRIVATE*",
    "*CREDENTIAL*",
    "*DSN*",
    "*DATABASE_URL*",
    "*DATABASE_URI*",
    "*_SALT",
)
ADAPTER_SETTINGS = ("SECRETS_*", "ENVIRONMENT")
_URL_WITH_PASSWORD = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://[^/@\s:]*:[^/@\s]+@")


class KeyClass(StrEnum):
    SECRET = "secret"  # noqa: S105 - a class of key, not a password
    CONFIG = "config"


@dataclass(frozen=True, slots=True, kw_only=True)
class Classification:
    """What a key is and which rule said so (for the plan's output)."""

    kind: KeyClass
    reason: str


def classify_key(
    key: str,
    value: str,
    *,
    secret_patterns: tuple[str, ...] = (),
    config_patterns: tuple[str, ...] = (),
) -> Classification:
    """Classify one key; ``value`` is only tested for the shape ``scheme://user:password@``.

    Patterns match regardless of case: ``db_password`` is as secret as ``DB_PASSWORD``.
    """
    key = key.upper()
    for pattern in config_patterns:
        if fnmatchcase(key, pattern.upper()):
            return Classification(kind=KeyClass.CONFIG, reason=f"--config {pattern}")
    for pattern in secret_patterns:
        if fnmatchcase(key, pattern.upper()):
            return Classification(kind=KeyClass.SECRET, reason=f"--secret {pattern}")
    for pattern in ADAPTER_SETTINGS:
        if fnmatchcase(key, pattern.upper()):
            return Classification(kind=KeyClass.CONFIG, reason="setting of secrets-adapter itself")
    for pattern in DEFAULT_SECRET_PATTERNS:
        if fnmatchcase(key, pattern.upper()):
            return Classification(kind=KeyClass.SECRET, reason=f"name matches {pattern}")
    if _URL_WITH_PASSWORD.match(value):
        return Classification(kind=KeyClass.SECRET, reason="URL with a password")
    return Classification(kind=KeyClass.CONFIG, reason="no secret rule matches")
