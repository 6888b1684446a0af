"""The AWS access key pair: two variables in a ``.env``, one JSON secret in the store.

``AWS_ACCESS_KEY_ID`` and ``AWS_SECRET_ACCESS_KEY`` only work together, and rotating one alone
breaks both; so ``migrate`` stores them as one secret ``…/aws-access-key`` holding
``{"access_key_id", "secret_access_key"}`` (what the ``aws-iam-access-key`` rotator rotates),
and ``rollback`` and ``exec`` turn it back into the two variables; the ``env`` backend serves
``…/aws-access-key`` from the two variables of a ``.env``, so an app reads the pair the same way
in development and in production. A prefixed pair (``BACKUP_AWS_ACCESS_KEY_ID`` +
``BACKUP_AWS_SECRET_ACCESS_KEY``) works the same way. Pure.
"""

from __future__ import annotations

import json

from secrets_adapter.errors import SecretFormatError
from secrets_adapter.models import SecretValue

__all__ = [
    "ACCESS_KEY_ID",
    "PAIR_KEY",
    "SECRET_ACCESS_KEY",
    "expand_pair",
    "pair_stem",
    "pair_value",
    "pair_variables",
]

ACCESS_KEY_ID = "AWS_ACCESS_KEY_ID"
SECRET_ACCESS_KEY = "AWS_SECRET_ACCESS_KEY"  # noqa: S105 - a variable name
PAIR_KEY = "AWS_ACCESS_KEY"
_FIELDS = {ACCESS_KEY_ID: "access_key_id", SECRET_ACCESS_KEY: "secret_access_key"}


def pair_stem(key: str) -> str | None:
    """``""`` for ``AWS_ACCESS_KEY_ID``, ``"BACKUP_"`` for ``BACKUP_AWS_SECRET_ACCESS_KEY``;
    None for any other key."""
    for suffix in _FIELDS:
        if key == suffix or key.endswith("_" + suffix):
            return key.removesuffix(suffix)
    return None


def pair_variables(key: str) -> tuple[str, str] | None:
    """``("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")`` for the pair's variable
    ``AWS_ACCESS_KEY`` (with its stem); None for any other key."""
    if not (key == PAIR_KEY or key.endswith("_" + PAIR_KEY)):
        return None
    stem = key.removesuffix(PAIR_KEY)
    return stem + ACCESS_KEY_ID, stem + SECRET_ACCESS_KEY


def pair_value(access_key_id: str, secret_access_key: str) -> SecretValue:
    """The JSON secret of one pair."""
    data = {"access_key_id": access_key_id, "secret_access_key": secret_access_key}
    return SecretValue(json.dumps(data, separators=(",", ":")))


def expand_pair(key: str, value: SecretValue) -> list[tuple[str, str]] | None:
    """``[(…AWS_ACCESS_KEY_ID, id), (…AWS_SECRET_ACCESS_KEY, secret)]`` for the variable
    ``…AWS_ACCESS_KEY`` holding a pair; None when ``key``/``value`` is not one."""
    if not (key == PAIR_KEY or key.endswith("_" + PAIR_KEY)) or value.is_binary:
        return None
    if value.reveal_text().lstrip()[:1] != "{":
        return None
    try:
        data = value.json()
    except SecretFormatError:
        return None
    if not isinstance(data, dict):
        return None
    stem = key.removesuffix(PAIR_KEY)
    pairs = [(stem + variable, data.get(field)) for variable, field in _FIELDS.items()]
    if not all(isinstance(text, str) and text for _, text in pairs):
        return None
    return [(variable, str(text)) for variable, text in pairs]
