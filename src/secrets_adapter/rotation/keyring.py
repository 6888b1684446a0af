"""``Keyring``: encrypt, decrypt and re-encrypt application data with a rotated key ring.

A token is ``0x01 | len(key id) | key id | 12-byte nonce | AES-256-GCM ciphertext and tag``, with
the header (version, key id) as associated data, so a token names the key that can open it and
cannot be moved to another key. ``encrypt`` uses the primary key; ``decrypt`` any key of the
ring; ``reencrypt`` moves a token to the primary (what to run over stored data before retiring an
old key). ``key_id(token)`` tells which key a stored token needs, to find data still under a key.

``load`` returns the ring; when a token names a key the loaded ring lacks (another process
rotated), the ring is loaded once more with ``reload`` before the token is refused.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from secrets_adapter.errors import DecryptionError, SecretFormatError, ValidationError
from secrets_adapter.rotation.rotators.keyring import KeyRing, KeyringKey

__all__ = ["TOKEN_VERSION", "Keyring"]

TOKEN_VERSION = 1
_NONCE_BYTES = 12


def _header(key_id: str) -> bytes:
    raw = key_id.encode("ascii")
    return bytes([TOKEN_VERSION, len(raw)]) + raw


def _split(token: bytes) -> tuple[str, bytes, bytes, bytes]:
    """(key id, header, nonce, ciphertext) of a token; ``DecryptionError`` when malformed."""
    if len(token) < 2 or token[0] != TOKEN_VERSION or len(token) < 2 + token[1] + _NONCE_BYTES:
        raise DecryptionError("This is not a keyring token (wrong version or too short).")
    end = 2 + token[1]
    try:
        key_id = token[2:end].decode("ascii")
    except UnicodeDecodeError:
        raise DecryptionError("This is not a keyring token (unreadable key id).") from None
    return key_id, token[:end], token[end : end + _NONCE_BYTES], token[end + _NONCE_BYTES :]


class Keyring:
    """Encrypts with the primary key; decrypts with any key still in the ring."""

    def __init__(
        self, load: Callable[[], KeyRing], *, reload: Callable[[], KeyRing] | None = None
    ) -> None:
        self._load = load
        self._reload = reload

    def __repr__(self) -> str:
        return "Keyring(...)"

    @property
    def ring(self) -> KeyRing:
        """The key ids and dates (never key material in a repr)."""
        return self._load()

    @property
    def primary_key_id(self) -> str:
        return self._load().primary.id

    def encrypt(self, data: bytes, *, associated_data: bytes = b"") -> bytes:
        """``data`` sealed under the primary key, its id inside the token."""
        return self._seal(self._load().primary, data, associated_data)

    def decrypt(self, token: bytes, *, associated_data: bytes = b"") -> bytes:
        """The data in ``token``, with whichever key of the ring sealed it."""
        key_id, header, nonce, sealed = _split(token)
        key = self._find(key_id)
        try:
            return AESGCM(key.key_bytes()).decrypt(nonce, sealed, header + associated_data)
        except InvalidTag:
            raise DecryptionError(
                f"The token does not open with key {key_id!r}: it was altered, or encrypted "
                "with other associated data."
            ) from None

    def reencrypt(self, token: bytes, *, associated_data: bytes = b"") -> bytes:
        """``token`` sealed again under the primary key (unchanged if it already is)."""
        primary = self._load().primary
        if self.key_id(token) == primary.id:
            return token
        data = self.decrypt(token, associated_data=associated_data)
        return self._seal(primary, data, associated_data)

    @staticmethod
    def key_id(token: bytes) -> str:
        """The id of the key a token needs (public: no key material)."""
        return _split(token)[0]

    def key_ids_in_use(self, tokens: Iterable[bytes]) -> set[str]:
        """The ids the given stored tokens need: what must not be retired yet."""
        return {self.key_id(token) for token in tokens}

    def _find(self, key_id: str) -> KeyringKey:
        key = self._load().by_id().get(key_id)
        if key is None and self._reload is not None:
            key = self._reload().by_id().get(key_id)
        if key is None:
            raise DecryptionError(
                f"Key {key_id!r} is not in the key ring: it was retired, or the token belongs "
                "to another secret. Data under a retired key cannot be decrypted."
            )
        return key

    @staticmethod
    def _seal(key: KeyringKey, data: bytes, associated_data: bytes) -> bytes:
        if not isinstance(data, bytes):
            raise ValidationError("Keyring.encrypt takes bytes; encode text first.")
        try:
            material = key.key_bytes()
        except SecretFormatError:
            raise SecretFormatError(
                f"The primary key {key.id!r} is not base64 of 32 bytes: configure "
                "'--rotator keyring' and rotate to get one."
            ) from None
        header = _header(key.id)
        nonce = os.urandom(_NONCE_BYTES)
        return header + nonce + AESGCM(material).encrypt(nonce, data, header + associated_data)
