"""The name and value rules every provider enforces before any I/O.

They are the intersection of what AWS Secrets Manager, Vault KV v2 and the local store accept, so a
secret that is valid on one backend can be copied to any other.
"""

from __future__ import annotations

import re

from secrets_adapter.errors import ValidationError

__all__ = [
    "MAX_NAME_LENGTH",
    "MAX_VALUE_BYTES",
    "NAME_RULE",
    "arn_secret_name",
    "validate_name",
    "validate_secret_id",
    "validate_value",
    "value_size_error",
]

MAX_NAME_LENGTH = 512
MAX_VALUE_BYTES = 65_536
NAME_RULE = f"a secret name is 1-{MAX_NAME_LENGTH} characters of A-Z a-z 0-9 and / _ + = . @ -"
_NAME_PATTERN = re.compile(rf"[A-Za-z0-9/_+=.@-]{{1,{MAX_NAME_LENGTH}}}")
# A Secrets Manager ARN, full (name + "-" + 6 random characters) or partial (the name alone).
_ARN_PATTERN = re.compile(
    rf"arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{{12}}:secret:"
    rf"(?P<name>[A-Za-z0-9/_+=.@-]{{1,{MAX_NAME_LENGTH}}})"
)


def arn_secret_name(text: str) -> str | None:
    """The name part of a Secrets Manager ARN (with the random suffix of a full ARN), or None
    when ``text`` is not such an ARN."""
    match = _ARN_PATTERN.fullmatch(text)
    return match.group("name") if match else None


def validate_secret_id(name: object) -> str:
    """A secret name, or a full or partial Secrets Manager ARN (how AWS users name a secret)."""
    if isinstance(name, str) and name.startswith("arn:") and arn_secret_name(name) is not None:
        return name
    return validate_name(name)


def validate_name(name: object) -> str:
    """Return ``name`` if it follows the rule, else raise ``ValidationError`` stating the rule."""
    if not isinstance(name, str):
        raise ValidationError(f"Invalid secret name of type {type(name).__name__}: {NAME_RULE}.")
    if _NAME_PATTERN.fullmatch(name) is None:
        shown = name if len(name) <= 80 else name[:77] + "..."
        raise ValidationError(f"Invalid secret name {shown!r}: {NAME_RULE}.", secret_name=None)
    return name


def validate_value(data: bytes, *, name: str | None = None) -> bytes:
    """Return ``data`` if its size is 1-65,536 bytes, else raise (the message states the rule)."""
    error = value_size_error(len(data), name=name)
    if error is not None:
        del data  # frames: an error reporter prints this frame's locals
        raise error
    return data


def value_size_error(size: int, *, name: str | None = None) -> ValidationError | None:
    """The error for a value of ``size`` bytes, or None if the size is allowed. It sees only the
    size, so whoever raises it can clear the value from its frame first."""
    if 0 < size <= MAX_VALUE_BYTES:
        return None
    subject = f"value for secret {name!r}" if name is not None else "secret value"
    return ValidationError(
        f"Invalid {subject}: a value is 1-{MAX_VALUE_BYTES:,} bytes "
        f"(UTF-8 bytes, not characters); this one is {size:,} bytes.",
        secret_name=name,
    )
