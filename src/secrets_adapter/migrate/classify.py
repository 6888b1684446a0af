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
    "RotatorProposal",
    "classify_key",
    "propose_rotator",
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


@dataclass(frozen=True, slots=True, kw_only=True)
class RotatorProposal:
    """The rotator a secret should get (None: nothing to rotate) and why."""

    rotator: str | None
    reason: str


_POSTGRES_URL = re.compile(r"^postgres(?:ql)?(?:\+[a-z0-9_]+)?://[^/@\s:]*:[^/@\s]+@", re.I)
# (rotator, patterns) in order: the first match wins. ``external`` is also the fallback: a
# credential someone else issued must never be replaced by a random string.
_ROTATOR_RULES: tuple[tuple[str, tuple[str, ...], str], ...] = (
    ("jwt", ("*JWT*KEY*", "*JWT*SECRET*"), "a JWT signing key: a key set with grace"),
    (
        "keyring",
        ("*ENCRYPTION_KEY*", "*ENCRYPT*KEY*", "*FERNET*", "*DATA_KEY*"),
        "a data-encryption key: older keys stay to decrypt older data",
    ),
    (
        "external",
        ("*API_KEY*", "*APIKEY*", "*CLIENT_SECRET*", "*TOKEN*", "*WEBHOOK*", "*ACCESS_KEY*"),
        "issued by a third party: a hook or by hand",
    ),
    (
        "random",
        ("SECRET_KEY", "*_SECRET_KEY", "*SESSION*", "*_SALT", "*SIGNING*"),
        "the app's own random secret",
    ),
)


def propose_rotator(key: str, value: str) -> RotatorProposal:
    """The rotator ``migrate plan`` proposes for one variable, from its name and value's shape."""
    key = key.upper()
    if _POSTGRES_URL.match(value):
        return RotatorProposal(rotator="postgres", reason="a PostgreSQL URL with a password")
    if fnmatchcase(key, "*DATABASE_UR[LI]*") or fnmatchcase(key, "*DSN*"):
        if not _URL_WITH_PASSWORD.match(value):
            return RotatorProposal(rotator=None, reason="no password in it to rotate")
        return RotatorProposal(rotator="external", reason="a database only its owner rotates")
    for rotator, patterns, reason in _ROTATOR_RULES:
        if any(fnmatchcase(key, pattern) for pattern in patterns):
            return RotatorProposal(rotator=rotator, reason=reason)
    return RotatorProposal(rotator="external", reason="issuer unknown: a hook or by hand")
