"""What a face does to a value on the way in and out, the same for every face: a secret as the
design's dict, one key of a JSON object, and a caller's input as a ``SecretValue``."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from secrets_adapter.errors import SecretFormatError, SecretsAdapterError, ValidationError
from secrets_adapter.models import Secret, SecretValue, json_object

__all__ = ["ValueInput", "secret_as_dict", "secret_field", "to_value", "value_or_error"]

ValueInput = str | bytes | SecretValue | Mapping[str, Any]


def secret_as_dict(secret: Secret) -> dict[str, Any]:
    """The design's shape: a JSON object → dict; a string → ``{"value": s}``; binary → bytes."""
    value = secret.value
    if value.is_binary:
        return {"value": value.reveal_bytes()}
    parsed = json_object(value)
    return parsed if parsed is not None else {"value": value.reveal_text()}


def secret_field(secret: Secret, key: str) -> str:
    """One key of a JSON object secret as text (a non-string field as JSON). A value that is not
    a JSON object, or lacks the key, is a ``SecretFormatError`` naming the secret and the key."""
    try:
        data = secret.value.json()
    except SecretFormatError:  # json() raises with no parser error behind it: nothing to leak
        raise SecretFormatError(
            f"Secret {secret.name!r} is not valid JSON, so it has no key {key!r}; "
            "read it without a key.",
            secret_name=secret.name,
        ) from None
    problem = _missing_field(data, secret.name, key)
    if problem is not None:
        del data  # frames: an error reporter prints this frame's locals (the parsed value)
        raise SecretFormatError(problem, secret_name=secret.name)
    field_value = data[key]
    return field_value if isinstance(field_value, str) else json.dumps(field_value)


def _missing_field(data: object, name: str, key: str) -> str | None:
    """Why ``data`` has no field ``key`` (naming the secret and the keys), or None."""
    if not isinstance(data, dict):
        return (
            f"Secret {name!r} is not a JSON object, so it has no key {key!r}; "
            "read it without a key."
        )
    if key not in data:
        return f"Secret {name!r} has no key {key!r} (keys: {', '.join(sorted(data))})."
    return None


def to_value(value: ValueInput) -> SecretValue:
    if isinstance(value, SecretValue):
        return value
    if isinstance(value, Mapping):
        text = _json_text(value)
        del value  # frames: an error reporter prints this frame's locals
        if text is None:
            raise SecretFormatError(
                "A dict is stored as a JSON object, and this one holds something JSON cannot "
                "encode: use str, int, float, bool, None, lists and dicts (encode bytes first)."
            )
        try:
            return SecretValue(text)
        except Exception:
            del text  # frames: as above
            raise
    try:
        return SecretValue(value)
    except Exception:
        del value  # frames: as above
        raise


def value_or_error(value: ValueInput) -> SecretValue | SecretsAdapterError:
    """``to_value``, its error returned (without the frames behind it) instead of raised: a
    writer wraps the caller's value first, drops its own reference, and raises after its checks."""
    try:
        return to_value(value)
    except (SecretFormatError, ValidationError) as exc:
        return exc.with_traceback(None)


def _json_text(value: Mapping[str, Any]) -> str | None:
    """The mapping as compact JSON, or None: the encoder's error (and its frames, whose locals
    hold the mapping) must not end up behind the error we raise."""
    try:
        return json.dumps(dict(value), separators=(",", ":"), ensure_ascii=False)
    except (TypeError, ValueError, RecursionError):
        return None
