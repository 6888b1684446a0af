"""Values ↔ KV v2 ``data``: one canonical layout that other Vault tools read as usual.

- **A JSON object** (whatever its key order or spacing) is stored as the KV fields themselves:
  ``{"username": "app", "password": "p"}`` → fields ``username`` and ``password``. A field whose
  value is not a string (number, boolean, null, list, object) is stored as that JSON value, as
  ``bao kv put secret/x @file.json`` would. It reads back as the same object, printed in one
  canonical form (sorted keys, no spaces).
- **Any other text** is one field: ``{"value": "<the text>"}``.
- **Binary** is ``{"value": "<base64>", "encoding": "base64"}``.

Three shapes of object would read back as something else, so they are stored as text, byte for
byte, with an explicit ``"encoding": "utf-8"`` beside ``value``: the empty object, an object
whose only field is a string ``value``, and an object of exactly ``value`` and ``encoding``
strings. JSON that Python and Go could read differently (a repeated key, ``NaN``, a number too
large for a float) is not taken for an object at all: it is text, in one ``value`` field.

Data written by other tools reads as its JSON object, or as the bare text of a lone ``value``.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from typing import Any

from secrets_adapter.errors import SecretFormatError, SecretsAdapterError
from secrets_adapter.models import SecretValue, plain_json_object

__all__ = ["ENCODING_KEY", "VALUE_KEY", "decode_value", "encode_value", "same_stored_value"]

VALUE_KEY = "value"
ENCODING_KEY = "encoding"
_TEXT, _BINARY = "utf-8", "base64"


def _reads_as_text(data: Mapping[str, Any]) -> bool:
    """True when ``decode_value`` reads ``data`` as a text/binary envelope, not as an object."""
    keys = set(data)
    if not keys:
        return True
    if keys == {VALUE_KEY}:
        return isinstance(data[VALUE_KEY], str)
    if keys == {VALUE_KEY, ENCODING_KEY}:
        return isinstance(data[VALUE_KEY], str) and isinstance(data[ENCODING_KEY], str)
    return False


def encode_value(value: SecretValue) -> dict[str, Any]:
    """The KV ``data`` for ``value`` (see the module docstring)."""
    if value.is_binary:
        encoded = base64.b64encode(value.reveal_bytes()).decode("ascii")
        return {VALUE_KEY: encoded, ENCODING_KEY: _BINARY}
    text = value.reveal_text()
    parsed = plain_json_object(text)
    if parsed is None:
        return {VALUE_KEY: text}
    if _reads_as_text(parsed):
        return {VALUE_KEY: text, ENCODING_KEY: _TEXT}
    return parsed


def decode_value(data: Mapping[str, Any], *, name: str) -> SecretValue:
    """The value stored in a KV ``data`` map; a malformed envelope is a ``SecretFormatError``."""
    try:
        return _decoded(data, name=name)
    except SecretsAdapterError as exc:
        error = exc
    del data  # frames: raised without the frames below and with no data here (locals get printed)
    raise error.with_traceback(None)


def _decoded(data: Mapping[str, Any], *, name: str) -> SecretValue:
    if data and _reads_as_text(data):
        raw = data[VALUE_KEY]
        encoding = data.get(ENCODING_KEY, _TEXT)
        if encoding == _TEXT:
            return SecretValue(raw)
        if encoding == _BINARY:
            try:
                return SecretValue(base64.b64decode(raw, validate=True))
            except (binascii.Error, ValueError):
                pass
        problem = "is not base64" if encoding == _BINARY else "has an unknown encoding (not shown)"
        raise SecretFormatError(  # the encoding field is not echoed: it may be part of a value
            f"Secret {name!r} in Vault has a {VALUE_KEY!r} field that {problem}: the "
            f"{ENCODING_KEY!r} field must be {_TEXT!r} or {_BINARY!r}, and say how it is written.",
            secret_name=name,
            provider="vault",
        ) from None
    if not data:
        raise SecretFormatError(
            f"Secret {name!r} in Vault has no fields; write a value to it.",
            secret_name=name,
            provider="vault",
        ) from None
    return SecretValue(
        json.dumps(dict(data), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    )


def same_stored_value(first: SecretValue, second: SecretValue) -> bool:
    """Whether the two values are stored alike (a JSON object in another key order is the same)."""
    return encode_value(first) == encode_value(second)
