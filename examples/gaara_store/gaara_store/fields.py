"""Field encryption on ENCRYPTION_KEY through the envelope helper.

The key comes from the store on each use (through the cache), and the previous version stays
usable for decryption, so rotating ENCRYPTION_KEY never makes stored rows unreadable.
"""

from __future__ import annotations

import base64
import binascii

from secrets_adapter import SecretFormatError, SecretNotFoundError, SecretsAdapter, Stage
from secrets_adapter.envelope.local import LocalEnvelope

ENCRYPTION_KEY_NAME = "encryption-key"


def _key_bytes(encoded: str, name: str) -> bytes:
    """32 bytes from standard or URL-safe base64 (what ``rotation configure --bytes 32`` makes)."""
    try:
        key = base64.b64decode(encoded.replace("-", "+").replace("_", "/"), validate=True)
    except (binascii.Error, ValueError):
        raise SecretFormatError(
            f"Secret {name!r} must be base64 of 32 bytes.", secret_name=name
        ) from None
    if len(key) != 32:
        raise SecretFormatError(f"Secret {name!r} must be base64 of 32 bytes.", secret_name=name)
    return key


def envelope(adapter: SecretsAdapter) -> LocalEnvelope:
    """An envelope over the current key, with the previous key kept for decryption."""
    current = _key_bytes(adapter.get_secret_value(ENCRYPTION_KEY_NAME), ENCRYPTION_KEY_NAME)
    retired: list[bytes] = []
    try:
        previous = adapter.get(ENCRYPTION_KEY_NAME, stage=Stage.PREVIOUS)
        retired.append(_key_bytes(previous.value.reveal_text(), ENCRYPTION_KEY_NAME))
    except (SecretNotFoundError, SecretFormatError):
        pass
    return LocalEnvelope(current, retired_keys=retired)
